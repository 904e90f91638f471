import type { Config } from '../server/config.ts';
import type { ModelEntry } from '../schema/api/models.ts';
import { ModelCatalog } from './catalog.ts';
import { discoverGgufModels, localProviderName } from './local/gguf-models.ts';
import { LlamaRuntime } from './local/llama-runtime.ts';
import { LlamaTextModel } from './local/llama-text-model.ts';
import { listOpenAiCompatibleModels } from './openai/catalog.ts';
import { OpenAiCompatibleTextModel } from './openai/text-model.ts';
import type { TextGenerationModel } from './spec/text-generation.ts';
import type { EmbeddingModel } from './spec/embeddings.ts';
import { SentenceEncoder, sentenceEncoderEntry } from './local/sentence-encoder.ts';
import { OpenAiCompatibleEmbeddingModel } from './openai/embedding-model.ts';
import { WorkersAiEmbeddingModel } from './workers-ai/embedding-model.ts';
import type { RerankModel } from './spec/rerank.ts';
import { Bm25SemanticReranker, bm25RerankEntry } from './local/bm25-rerank.ts';
import { WorkersAiRerankModel } from './workers-ai/rerank-model.ts';
import { OpenAiCompatibleRerankModel } from './openai/rerank-model.ts';
import type { ModerationModel } from './spec/moderation.ts';
import { OfflineModerator, offlineModerationEntry } from './local/offline-moderation.ts';
import { OpenAiCompatibleModerationModel } from './openai/moderation-model.ts';
import { WorkersAiLlamaGuardModel } from './workers-ai/llama-guard-model.ts';
import { DocumentParser } from './local/documents/document-parser.ts';
import { listRealtimeModels } from './realtime/catalog.ts';
import type { SpeechModel } from './spec/speech.ts';
import { EspeakSpeech, espeakEntry } from './local/espeak-speech.ts';
import { OpenAiCompatibleSpeechModel } from './openai/speech-model.ts';
import { WorkersAiMeloTtsModel } from './workers-ai/melotts-model.ts';
import type { TranscriptionModel } from './spec/transcription.ts';
import { OpenAiCompatibleTranscriptionModel } from './openai/transcription-model.ts';
import { WorkersAiWhisperModel } from './workers-ai/whisper-model.ts';
import type { ImageModel } from './spec/images.ts';
import { OpenAiCompatibleImageModel } from './openai/image-model.ts';
import { WorkersAiFluxModel } from './workers-ai/flux-model.ts';
import { listWorkersAiModels, workersAiProviderName } from './workers-ai/catalog.ts';
import { WorkersAiTextModel } from './workers-ai/text-model.ts';

/**
 * Resolves catalog entries to adapters. Capabilities are checked by the caller against the
 * entry; this only knows which adapter serves which provider.
 */
export class ProviderRegistry {
  readonly catalog: ModelCatalog;
  readonly #config: Config;
  readonly #localFiles: Map<string, string>;
  readonly #llama: LlamaRuntime;
  readonly #textModels = new Map<string, TextGenerationModel>();
  readonly #embeddingModels = new Map<string, EmbeddingModel>();
  readonly #sentenceEncoder = new SentenceEncoder();
  readonly #localReranker = new Bm25SemanticReranker(this.#sentenceEncoder);
  readonly #offlineModerator = new OfflineModerator(this.#sentenceEncoder);
  readonly #espeak = new EspeakSpeech();
  /** Offline parsing of PDF, DOCX, HTML, Markdown, text and images (OCR). */
  readonly documents = new DocumentParser();

  constructor(options: { config: Config; catalog: ModelCatalog; localFiles: Map<string, string> }) {
    this.#config = options.config;
    this.catalog = options.catalog;
    this.#localFiles = options.localFiles;
    this.#llama = new LlamaRuntime(options.config.local);
  }

  textModel(entry: ModelEntry): TextGenerationModel {
    let model = this.#textModels.get(entry.id);
    if (!model) {
      model = this.#createTextModel(entry);
      this.#textModels.set(entry.id, model);
    }
    return model;
  }

  /** Images run upstream only: no offline weights are packaged. */
  imageModel(entry: ModelEntry): ImageModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiFluxModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleImageModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  /** Speech recognition runs upstream only: no offline weights are packaged. */
  transcriptionModel(entry: ModelEntry): TranscriptionModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiWhisperModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleTranscriptionModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  speechModel(entry: ModelEntry): SpeechModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.id === espeakEntry.id) return this.#espeak;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiMeloTtsModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleSpeechModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  moderationModel(entry: ModelEntry): ModerationModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.id === offlineModerationEntry.id) return this.#offlineModerator;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiLlamaGuardModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleModerationModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  rerankModel(entry: ModelEntry): RerankModel {
    if (entry.id === bm25RerankEntry.id) return this.#localReranker;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiRerankModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs: this.#config.upstreamTimeoutMs });
    }
    return new OpenAiCompatibleRerankModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs: this.#config.upstreamTimeoutMs });
  }

  embeddingModel(entry: ModelEntry): EmbeddingModel {
    let model = this.#embeddingModels.get(entry.id);
    if (!model) {
      model = this.#createEmbeddingModel(entry);
      this.#embeddingModels.set(entry.id, model);
    }
    return model;
  }

  #createEmbeddingModel(entry: ModelEntry): EmbeddingModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.id === sentenceEncoderEntry.id) return this.#sentenceEncoder;
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiEmbeddingModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleEmbeddingModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  #upstream(entry: ModelEntry) {
    const upstream = this.#config.openAiCompatibleUpstreams.find((candidate) => candidate.name === entry.provider);
    if (!upstream) throw new Error(`No provider configured for ${entry.id}`);
    return upstream;
  }

  #createTextModel(entry: ModelEntry): TextGenerationModel {
    const timeoutMs = this.#config.upstreamTimeoutMs;
    if (entry.provider === localProviderName) {
      const filePath = this.#localFiles.get(entry.id);
      if (!filePath) throw new Error(`No GGUF file behind ${entry.id}`);
      return new LlamaTextModel({ runtime: this.#llama, filePath, modelId: entry.id });
    }
    if (entry.provider === workersAiProviderName && this.#config.workersAi) {
      return new WorkersAiTextModel({ config: this.#config.workersAi, upstreamModel: entry.upstream_model, timeoutMs });
    }
    return new OpenAiCompatibleTextModel({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
  }

  async close(): Promise<void> {
    await this.documents.close();
    await this.#llama.dispose();
  }
}

/** Builds the catalog and the adapters from configuration: local GGUF files always, upstreams when configured. */
export async function loadProviders(config: Config): Promise<ProviderRegistry> {
  const local = await discoverGgufModels(config.local.modelsDir);
  const catalog = new ModelCatalog([
    ...local.map((model) => model.entry),
    sentenceEncoderEntry,
    bm25RerankEntry,
    offlineModerationEntry,
    espeakEntry,
    ...config.openAiCompatibleUpstreams.flatMap(listOpenAiCompatibleModels),
    ...(config.workersAi ? listWorkersAiModels(config.workersAi) : []),
    ...(config.realtime ? listRealtimeModels(config.realtime) : []),
  ]);
  return new ProviderRegistry({ config, catalog, localFiles: new Map(local.map((model) => [model.entry.id, model.filePath])) });
}

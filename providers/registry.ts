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
import { bm25RerankEntry, espeakEntry, offlineModerationEntry, sentenceEncoderEntry } from './local/catalog.ts';
import { ComputePool } from './local/compute/compute-pool.ts';
import { pooledModels, type LocalChunker, type LocalDocuments } from './local/compute/pooled-models.ts';
import { OpenAiCompatibleEmbeddingModel } from './openai/embedding-model.ts';
import { WorkersAiEmbeddingModel } from './workers-ai/embedding-model.ts';
import type { RerankModel } from './spec/rerank.ts';
import { WorkersAiRerankModel } from './workers-ai/rerank-model.ts';
import { OpenAiCompatibleRerankModel } from './openai/rerank-model.ts';
import type { ModerationModel } from './spec/moderation.ts';
import { OpenAiCompatibleModerationModel } from './openai/moderation-model.ts';
import { WorkersAiLlamaGuardModel } from './workers-ai/llama-guard-model.ts';
import { listRealtimeModels } from './realtime/catalog.ts';
import type { SpeechModel } from './spec/speech.ts';
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
import { observeAdapter, type ModelCallObserver } from '../server/observability/model-calls.ts';
import type { PoolReading } from '../server/observability/metrics.ts';

/** The adapter contract of each capability family the registry serves. */
interface Adapters {
  text: TextGenerationModel;
  embeddings: EmbeddingModel;
  rerank: RerankModel;
  moderation: ModerationModel;
  speech: SpeechModel;
  transcription: TranscriptionModel;
  images: ImageModel;
}
type AdapterKind = keyof Adapters;
type Factories = { [K in AdapterKind]?: (entry: ModelEntry) => Adapters[K] };

/** Which table serves an entry: offline models, Workers AI, or an OpenAI-compatible upstream. */
type ProviderKind = 'local' | 'workers-ai' | 'openai-compatible';

/**
 * Resolves catalog entries to adapters through one table: provider kind → capability → factory.
 * Capabilities are checked by the caller against the entry; a missing cell means that provider
 * cannot serve that family. Adapters are built once per model and reused.
 */
export class ProviderRegistry {
  readonly catalog: ModelCatalog;
  readonly #config: Config;
  readonly #localFiles: Map<string, string>;
  readonly #llama: LlamaRuntime;
  readonly #adapters = new Map<string, unknown>();
  /** Worker threads for every CPU-heavy offline model: nothing heavy runs on the request thread. */
  readonly compute: ComputePool;
  /** Offline parsing of PDF, DOCX, HTML, Markdown, text and images (OCR), on the compute pool. */
  readonly documents: LocalDocuments;
  /** Deterministic chunking; large inputs on the compute pool. */
  readonly chunker: LocalChunker;
  readonly #factories: Record<ProviderKind, Factories>;
  /** Sees every call into every adapter (metrics, traces). */
  readonly #observer: ModelCallObserver | undefined;

  constructor(options: { config: Config; catalog: ModelCatalog; localFiles: Map<string, string>; observer?: ModelCallObserver | undefined }) {
    this.#config = options.config;
    this.#observer = options.observer;
    this.catalog = options.catalog;
    this.#localFiles = options.localFiles;
    this.#llama = new LlamaRuntime(options.config.local);
    this.compute = new ComputePool(options.config.local.pool);
    const local = pooledModels(this.compute);
    this.documents = local.documents;
    this.chunker = local.chunker;
    const timeoutMs = options.config.upstreamTimeoutMs;
    const workersAi = (entry: ModelEntry) => ({ config: this.#config.workersAi!, upstreamModel: entry.upstream_model, timeoutMs });
    const upstream = (entry: ModelEntry) => ({ upstream: this.#upstream(entry), upstreamModel: entry.upstream_model, timeoutMs });
    // Images and speech recognition run upstream only: no offline weights are packaged.
    this.#factories = {
      local: {
        text: (entry) =>
          new LlamaTextModel({ runtime: this.#llama, filePath: this.#localFile(entry), modelId: entry.id, hasChatTemplate: entry.capabilities.includes('tool_calling') }),
        embeddings: () => local.embeddings,
        rerank: () => local.rerank,
        moderation: () => local.moderation,
        speech: () => local.speech,
      },
      'workers-ai': {
        text: (entry) => new WorkersAiTextModel({ ...workersAi(entry), toolCalling: entry.capabilities.includes('tool_calling') }),
        embeddings: (entry) => new WorkersAiEmbeddingModel(workersAi(entry)),
        rerank: (entry) => new WorkersAiRerankModel(workersAi(entry)),
        moderation: (entry) => new WorkersAiLlamaGuardModel(workersAi(entry)),
        speech: (entry) => new WorkersAiMeloTtsModel(workersAi(entry)),
        transcription: (entry) => new WorkersAiWhisperModel(workersAi(entry)),
        images: (entry) => new WorkersAiFluxModel(workersAi(entry)),
      },
      'openai-compatible': {
        text: (entry) => new OpenAiCompatibleTextModel(upstream(entry)),
        embeddings: (entry) => new OpenAiCompatibleEmbeddingModel(upstream(entry)),
        rerank: (entry) => new OpenAiCompatibleRerankModel(upstream(entry)),
        moderation: (entry) => new OpenAiCompatibleModerationModel(upstream(entry)),
        speech: (entry) => new OpenAiCompatibleSpeechModel(upstream(entry)),
        transcription: (entry) => new OpenAiCompatibleTranscriptionModel(upstream(entry)),
        images: (entry) => new OpenAiCompatibleImageModel(upstream(entry)),
      },
    };
  }

  /** The adapter of one capability family for a catalog entry. */
  adapter<K extends AdapterKind>(kind: K, entry: ModelEntry): Adapters[K] {
    const cacheKey = `${kind}:${entry.id}`;
    let adapter = this.#adapters.get(cacheKey) as Adapters[K] | undefined;
    if (!adapter) {
      const providerKind = this.#providerKindOf(entry);
      const factory = this.#factories[providerKind][kind] as ((entry: ModelEntry) => Adapters[K]) | undefined;
      if (!factory) throw new Error(`${entry.id}: the ${providerKind} provider has no ${kind} adapter`);
      adapter = factory(entry);
      if (this.#observer) adapter = observeAdapter(adapter as object, { provider: entry.provider, model: entry.id }, this.#observer) as Adapters[K];
      this.#adapters.set(cacheKey, adapter);
    }
    return adapter;
  }

  textModel = (entry: ModelEntry) => this.adapter('text', entry);
  embeddingModel = (entry: ModelEntry) => this.adapter('embeddings', entry);
  rerankModel = (entry: ModelEntry) => this.adapter('rerank', entry);
  moderationModel = (entry: ModelEntry) => this.adapter('moderation', entry);
  speechModel = (entry: ModelEntry) => this.adapter('speech', entry);
  transcriptionModel = (entry: ModelEntry) => this.adapter('transcription', entry);
  imageModel = (entry: ModelEntry) => this.adapter('images', entry);

  #providerKindOf(entry: ModelEntry): ProviderKind {
    if (entry.provider === localProviderName) return 'local';
    if (entry.provider === workersAiProviderName && this.#config.workersAi) return 'workers-ai';
    return 'openai-compatible';
  }

  #localFile(entry: ModelEntry): string {
    const filePath = this.#localFiles.get(entry.id);
    if (!filePath) throw new Error(`No GGUF file behind ${entry.id}`);
    return filePath;
  }

  #upstream(entry: ModelEntry) {
    const upstream = this.#config.openAiCompatibleUpstreams.find((candidate) => candidate.name === entry.provider);
    if (!upstream) throw new Error(`No provider configured for ${entry.id}`);
    return upstream;
  }

  /**
   * Admits a request of a route whose work is always local (`heavyWork: 'always'`) before its body
   * is read, or throws its 503 with Retry-After: the project has LOCAL_PROJECT_QUEUE_LIMIT such
   * requests in flight, or its share of the compute pool (or the pool's line) is full. The request
   * pipeline calls it after authentication and calls the returned function when the answer ends.
   */
  admitHeavyWork(projectId: string): () => void {
    return this.compute.admit(projectId);
  }

  /** The compute pool's threads and each loaded GGUF model's sequences, as /metrics reads them. */
  poolUsage(): PoolReading[] {
    return [
      { pool: 'compute', usage: this.compute.usage },
      ...this.#llama.usage().map(({ model, usage }) => ({ pool: `llama:${model}`, usage })),
    ];
  }

  async close(): Promise<void> {
    await this.compute.close();
    await this.#llama.dispose();
  }
}

/** Builds the catalog and the adapters from configuration: local GGUF files always, upstreams when configured. */
export async function loadProviders(config: Config, observer?: ModelCallObserver): Promise<ProviderRegistry> {
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
  ], config.modelAliases);
  for (const [alias, target] of Object.entries(config.modelAliases)) {
    if (!catalog.find(target)) throw new Error(`MODEL_ALIASES: "${alias}" points at ${target}, which this deployment does not serve`);
  }
  return new ProviderRegistry({ config, catalog, localFiles: new Map(local.map((model) => [model.entry.id, model.filePath])), observer });
}

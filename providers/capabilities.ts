import type { Capability, Modality, ModelEntry } from '../schema/api/models.ts';
import type { UpstreamConfig } from './http/upstream-config.ts';
import type { OpenAiCompatibleConfig } from './openai/provider.ts';
import type { CallScope } from './spec/call-scope.ts';
import type { ModelDescription } from './spec/model-description.ts';
import type { ModelSpec } from './spec/model-spec.ts';
import type { EmbeddingModel } from './spec/embeddings.ts';
import type { ImageModel } from './spec/images.ts';
import type { ModerationModel } from './spec/moderation.ts';
import type { RerankModel } from './spec/rerank.ts';
import type { SpeechModel } from './spec/speech.ts';
import type { TextGenerationModel } from './spec/text-generation.ts';
import type { TranscriptionModel } from './spec/transcription.ts';
import type { Token } from '../schema/api/tokenize.ts';
import type { LlamaRuntime } from './local/llama-runtime.ts';
import { unpackEmbeddings, type PoolRunner } from './local/compute/compute-pool.ts';
import { bm25RerankModel, espeakFormats, espeakModel, offlineModerationModel, sentenceEncoderModel } from './local/catalog.ts';
import { LlamaTextModel } from './local/llama-text-model.ts';
import { GgufTokenizer } from './local/gguf-tokenizer.ts';
import { OpenAiCompatibleEmbeddingModel } from './openai/embedding-model.ts';
import { OpenAiCompatibleImageModel } from './openai/image-model.ts';
import { OpenAiCompatibleModerationModel } from './openai/moderation-model.ts';
import { OpenAiCompatibleRerankModel } from './openai/rerank-model.ts';
import { OpenAiCompatibleSpeechModel } from './openai/speech-model.ts';
import { OpenAiCompatibleTextModel } from './openai/text-model.ts';
import { OpenAiCompatibleTranscriptionModel } from './openai/transcription-model.ts';
import { TiktokenTokenizer } from './openai/tiktoken-tokenizer.ts';
import { WorkersAiEmbeddingModel } from './workers-ai/embedding-model.ts';
import { WorkersAiFluxModel } from './workers-ai/flux-model.ts';
import { WorkersAiLlamaGuardModel } from './workers-ai/llama-guard-model.ts';
import { WorkersAiMeloTtsModel } from './workers-ai/melotts-model.ts';
import { WorkersAiRerankModel } from './workers-ai/rerank-model.ts';
import { WorkersAiTextModel } from './workers-ai/text-model.ts';
import { WorkersAiWhisperModel } from './workers-ai/whisper-model.ts';

/** What the local adapters are built on: GGUF models in-process, everything else on the compute pool. */
export interface LocalRuntime {
  llama: LlamaRuntime;
  /** The GGUF file behind a local text model. */
  fileOf(entry: ModelEntry): string;
  /** Runs a request on the compute pool; its scope stays here, `param` names the field in limit errors. */
  pooled: PoolRunner;
}

/** The provider kinds an adapter can come from. */
export type ProviderKind = 'local' | 'workers-ai' | 'openai-compatible';

/**
 * How each provider kind builds the adapter of one family (a missing kind cannot serve it), and
 * which offline models the family lists in the catalog.
 */
export interface AdapterFamily<A> {
  localModels?: ModelDescription[];
  local?: (model: ModelSpec, runtime: LocalRuntime, entry: ModelEntry) => A;
  'workers-ai'?: (model: ModelSpec, config: UpstreamConfig, entry: ModelEntry) => A;
  'openai-compatible'?: (model: ModelSpec, config: OpenAiCompatibleConfig, entry: ModelEntry, runtime: LocalRuntime) => A;
}

const family = <A>(definition: AdapterFamily<A>) => definition;

const text = family<TextGenerationModel>({
  local: (model, runtime, entry) =>
    new LlamaTextModel(model, { runtime: runtime.llama, filePath: runtime.fileOf(entry), hasChatTemplate: entry.capabilities.includes('tool_calling') }),
  'workers-ai': (model, config, entry) => new WorkersAiTextModel(model, config, { toolCalling: entry.capabilities.includes('tool_calling') }),
  'openai-compatible': (model, config) => new OpenAiCompatibleTextModel(model, config),
});

const embeddings = family<EmbeddingModel>({
  localModels: [sentenceEncoderModel],
  local: (model, runtime) => ({ ...model, embed: async (request) => unpackEmbeddings(await runtime.pooled('embed', request, 'input')) }),
  'workers-ai': (model, config) => new WorkersAiEmbeddingModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleEmbeddingModel(model, config),
});

const rerank = family<RerankModel>({
  localModels: [bm25RerankModel],
  local: (model, runtime) => ({ ...model, rerank: (request) => runtime.pooled('rerank', request, 'documents') }),
  'workers-ai': (model, config) => new WorkersAiRerankModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleRerankModel(model, config),
});

const moderation = family<ModerationModel>({
  localModels: [offlineModerationModel],
  local: (model, runtime) => ({ ...model, classify: (request) => runtime.pooled('moderate', request, 'input') }),
  'workers-ai': (model, config) => new WorkersAiLlamaGuardModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleModerationModel(model, config),
});

const speech = family<SpeechModel>({
  localModels: [espeakModel],
  local: (model, runtime) => ({ ...model, formats: espeakFormats, synthesize: (request) => runtime.pooled('synthesize', request, 'input') }),
  'workers-ai': (model, config) => new WorkersAiMeloTtsModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleSpeechModel(model, config),
});

// Speech recognition and images run upstream only: no offline weights are packaged.
const transcription = family<TranscriptionModel>({
  'workers-ai': (model, config) => new WorkersAiWhisperModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleTranscriptionModel(model, config),
});

const images = family<ImageModel>({
  'workers-ai': (model, config) => new WorkersAiFluxModel(model, config),
  'openai-compatible': (model, config) => new OpenAiCompatibleImageModel(model, config),
});

/** A contract this small is its row's own: the tokens a model reads a text as. */
export interface TokenizerModel extends ModelSpec {
  tokenize(request: { text: string } & CallScope): Promise<Token[]>;
  /** What the model's chat format adds to a conversation's text: tokens per message, and those that open the reply. */
  readonly chatFraming: { perMessage: number; perReply: number };
}

const tokenizer = family<TokenizerModel>({
  local: (model, runtime, entry) => new GgufTokenizer(model, { runtime: runtime.llama, filePath: runtime.fileOf(entry) }),
  'openai-compatible': (model, config, _entry, runtime) => new TiktokenTokenizer(model, config, runtime.pooled),
});

interface CapabilityRow {
  /** The adapters that serve it; null where a service of its own does (document parsing, the realtime relay). */
  adapters: AdapterFamily<unknown> | null;
  /** What a model with only this capability takes in and gives out, unless its entry says otherwise. */
  inputs: readonly Modality[];
  outputs: readonly Modality[];
}

/**
 * Every capability, one row each: the registry resolves adapters through it, catalog entries
 * take their default modalities from it, and the catalog lists each family's offline models.
 * Rows beyond the catalog's capabilities are served for the models of another capability
 * (tokenize: text models).
 */
export const capabilityTable = {
  text_generation: { adapters: text, inputs: ['text'], outputs: ['text'] },
  tool_calling: { adapters: text, inputs: ['text'], outputs: ['text'] },
  embeddings: { adapters: embeddings, inputs: ['text'], outputs: ['text'] },
  rerank: { adapters: rerank, inputs: ['text'], outputs: ['text'] },
  moderation: { adapters: moderation, inputs: ['text'], outputs: ['text'] },
  transcription: { adapters: transcription, inputs: ['audio'], outputs: ['text'] },
  translation: { adapters: transcription, inputs: ['audio'], outputs: ['text'] },
  speech: { adapters: speech, inputs: ['text'], outputs: ['audio'] },
  image_generation: { adapters: images, inputs: ['text'], outputs: ['image'] },
  image_edit: { adapters: images, inputs: ['text', 'image'], outputs: ['image'] },
  image_variation: { adapters: images, inputs: ['image'], outputs: ['image'] },
  document_parse: { adapters: null, inputs: ['document', 'image'], outputs: ['text'] },
  realtime: { adapters: null, inputs: ['text', 'audio'], outputs: ['text', 'audio'] },
  tokenize: { adapters: tokenizer, inputs: ['text'], outputs: ['text'] },
} as const satisfies Record<Capability | 'tokenize', CapabilityRow>;

type Table = typeof capabilityTable;

/** The capabilities an adapter serves (the others have services of their own). */
export type AdapterCapability = { [C in keyof Table]: Table[C]['adapters'] extends null ? never : C }[keyof Table];

/** The adapter contract of a capability, as its row's family builds it. */
export type AdapterOf<C extends AdapterCapability> = Table[C]['adapters'] extends AdapterFamily<infer A> ? A : never;

/** Each family once, in table order. */
export const adapterFamilies: AdapterFamily<unknown>[] = [
  ...new Set(Object.values(capabilityTable as Record<string, CapabilityRow>).flatMap((row) => (row.adapters ? [row.adapters] : []))),
];

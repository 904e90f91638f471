import type { Capability, ModelEntry, Modality, Pricing } from '../../schema/api/models.ts';

export interface ModelDescription {
  provider: string;
  upstreamModel: string;
  /** The part after `provider:`; defaults to the upstream model name. */
  name?: string;
  displayName?: string;
  capabilities: Capability[];
  inputModalities?: Modality[];
  outputModalities?: Modality[];
  contextWindow?: number | null;
  maxOutputTokens?: number | null;
  /** Limits this service enforces on the inputs of one request (local models: bounded work). */
  maxInputTokens?: number | null;
  maxRequestTokens?: number | null;
  pricing?: Pricing;
  available?: boolean;
}

const inputsByCapability: Record<Capability, Modality[]> = {
  text_generation: ['text'],
  tool_calling: ['text'],
  embeddings: ['text'],
  rerank: ['text'],
  moderation: ['text'],
  transcription: ['audio'],
  translation: ['audio'],
  speech: ['text'],
  image_generation: ['text'],
  image_edit: ['text', 'image'],
  image_variation: ['image'],
  document_parse: ['document', 'image'],
  realtime: ['text', 'audio'],
};

const outputsByCapability: Record<Capability, Modality[]> = {
  text_generation: ['text'],
  tool_calling: ['text'],
  embeddings: ['text'],
  rerank: ['text'],
  moderation: ['text'],
  transcription: ['text'],
  translation: ['text'],
  speech: ['audio'],
  image_generation: ['image'],
  image_edit: ['image'],
  image_variation: ['image'],
  document_parse: ['text'],
  realtime: ['text', 'audio'],
};

const free: Pricing = { unit: 'token', input_per_million: '0', output_per_million: '0' };

function unionOf(capabilities: Capability[], table: Record<Capability, Modality[]>): Modality[] {
  return [...new Set(capabilities.flatMap((capability) => table[capability]))];
}

/** Fills in what a description leaves out so every catalog entry has the same complete shape. */
export function createModelEntry(description: ModelDescription): ModelEntry {
  const name = description.name ?? description.upstreamModel;
  return {
    id: `${description.provider}:${name}`,
    object: 'model',
    provider: description.provider,
    upstream_model: description.upstreamModel,
    display_name: description.displayName ?? name,
    capabilities: description.capabilities,
    input_modalities: description.inputModalities ?? unionOf(description.capabilities, inputsByCapability),
    output_modalities: description.outputModalities ?? unionOf(description.capabilities, outputsByCapability),
    limits: {
      context_window: description.contextWindow ?? null,
      max_output_tokens: description.maxOutputTokens ?? null,
      max_input_tokens: description.maxInputTokens ?? null,
      max_request_tokens: description.maxRequestTokens ?? null,
    },
    pricing: description.pricing ?? free,
    available: description.available ?? true,
  };
}

import type { Capability, ModelEntry, Modality, Pricing } from '../schema/api/models.ts';
import type { ModelDescription } from './spec/model-description.ts';
import { capabilityTable } from './capabilities.ts';

const free: Pricing = { unit: 'token', input_per_million: '0', output_per_million: '0' };

function unionOf(capabilities: Capability[], side: 'inputs' | 'outputs'): Modality[] {
  return [...new Set(capabilities.flatMap((capability) => capabilityTable[capability][side]))];
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
    input_modalities: description.inputModalities ?? unionOf(description.capabilities, 'inputs'),
    output_modalities: description.outputModalities ?? unionOf(description.capabilities, 'outputs'),
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

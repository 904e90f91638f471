import type { OpenAiCompatibleUpstreamConfig } from './settings.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { createModelEntry } from '../model-entry.ts';
import { knownOpenAiModels } from './known-models.ts';

/**
 * Catalog entries of one OpenAI-compatible upstream. A model named by string takes OpenAI's
 * published metadata when known, otherwise it is a text-generation model; an object entry states
 * its capabilities and limits itself.
 */
export function listOpenAiCompatibleModels(upstream: OpenAiCompatibleUpstreamConfig): ModelEntry[] {
  return upstream.models.map((setting) => {
    const id = typeof setting === 'string' ? setting : setting.id;
    const known = knownOpenAiModels[id];
    const override = typeof setting === 'string' ? undefined : setting;
    const entry = createModelEntry({
      ...known,
      capabilities: override?.capabilities ?? known?.capabilities ?? ['text_generation'],
      ...(override?.context_window ? { contextWindow: override.context_window } : {}),
      ...(override?.max_output_tokens ? { maxOutputTokens: override.max_output_tokens } : {}),
      ...(override?.input_per_million || override?.output_per_million
        ? { pricing: { unit: 'token' as const, input_per_million: override.input_per_million ?? '0', output_per_million: override.output_per_million ?? '0' } }
        : {}),
      provider: upstream.name,
      upstreamModel: id,
    });
    // Tools are forwarded as they are: a text model here takes them unless its entry says otherwise.
    const capabilities = entry.capabilities;
    if (capabilities.includes('text_generation') && !override?.capabilities && !capabilities.includes('tool_calling')) capabilities.push('tool_calling');
    return entry;
  });
}

import { workersAiProviderName, type WorkersAiConfig } from './settings.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { createModelEntry } from '../model-entry.ts';
import { knownWorkersAiModels } from './known-models.ts';

/**
 * Catalog entries for Workers AI: every known model unless WORKERS_AI_MODELS narrows the list.
 * A configured `@cf/...` name that is not known becomes a text-generation model named after its
 * last path segment.
 */
export function listWorkersAiModels(config: WorkersAiConfig): ModelEntry[] {
  const names = config.models ?? Object.keys(knownWorkersAiModels);
  return names.map((name) => {
    const known = knownWorkersAiModels[name];
    if (known) return createModelEntry({ ...known, provider: workersAiProviderName, name });
    const upstreamModel = name.startsWith('@') ? name : `@cf/${name}`;
    return createModelEntry({
      provider: workersAiProviderName,
      upstreamModel,
      name: upstreamModel.split('/').at(-1) ?? name,
      capabilities: ['text_generation'],
    });
  });
}

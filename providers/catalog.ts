import type { Config } from '../server/config.ts';
import type { Capability, ModelEntry } from '../schema/api/models.ts';
import { listOpenAiCompatibleModels } from './openai/catalog.ts';
import { discoverGgufModels } from './local/gguf-models.ts';
import { listWorkersAiModels } from './workers-ai/catalog.ts';

export interface ModelFilter {
  capability?: Capability | undefined;
  provider?: string | undefined;
}

/** The models this deployment can serve, resolved by `provider:model` id. */
export class ModelCatalog {
  readonly #byId: Map<string, ModelEntry>;
  /** When this catalog was built; OpenAI's `created` field for every entry. */
  readonly loadedAtSeconds = Math.floor(Date.now() / 1000);

  constructor(entries: ModelEntry[]) {
    this.#byId = new Map(entries.map((entry) => [entry.id, entry]));
  }

  list(filter: ModelFilter = {}): ModelEntry[] {
    return [...this.#byId.values()].filter(
      (entry) =>
        (filter.capability === undefined || entry.capabilities.includes(filter.capability)) &&
        (filter.provider === undefined || entry.provider === filter.provider),
    );
  }

  find(id: string): ModelEntry | undefined {
    return this.#byId.get(normalizeModelId(id));
  }
}

/** Builds the catalog from configuration: local GGUF files always, upstreams when configured. */
export async function loadModelCatalog(config: Config): Promise<ModelCatalog> {
  const local = await discoverGgufModels(config.localModelsDir);
  return new ModelCatalog([
    ...local.map((model) => model.entry),
    ...config.openAiCompatibleUpstreams.flatMap(listOpenAiCompatibleModels),
    ...(config.workersAi ? listWorkersAiModels(config.workersAi) : []),
  ]);
}

/**
 * Ids never contain `%`, so an id that still does arrived percent-encoded (REST path parameters
 * reach the procedure undecoded); decoding it is unambiguous.
 */
export function normalizeModelId(id: string): string {
  if (!id.includes('%')) return id;
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

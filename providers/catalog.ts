import type { Capability, ModelEntry } from '../schema/api/models.ts';

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

import type { Capability, ModelEntry } from '../schema/api/models.ts';

export interface ModelFilter {
  capability?: Capability | undefined;
  provider?: string | undefined;
}

/** What a model id names: one entry, several (a bare name more than one provider serves), or none. */
export type ModelLookup = { entry: ModelEntry } | { ambiguous: string[] } | undefined;

/**
 * The models this deployment can serve, resolved by `provider:model` id, by an alias from
 * MODEL_ALIASES, or by the bare name when exactly one provider serves it, so code written for
 * OpenAI (`gpt-4o-mini`, `whisper-1`) works unchanged.
 */
export class ModelCatalog {
  readonly #byId: Map<string, ModelEntry>;
  readonly #byName = new Map<string, ModelEntry[]>();
  readonly #aliases: Map<string, string>;
  /** When this catalog was built; OpenAI's `created` field for every entry. */
  readonly loadedAtSeconds = Math.floor(Date.now() / 1000);

  constructor(entries: ModelEntry[], aliases: Record<string, string> = {}) {
    this.#byId = new Map(entries.map((entry) => [entry.id, entry]));
    for (const entry of entries) {
      const name = entry.id.slice(entry.provider.length + 1);
      this.#byName.set(name, [...(this.#byName.get(name) ?? []), entry]);
    }
    this.#aliases = new Map(Object.entries(aliases));
  }

  lookup(id: string): ModelLookup {
    const normalized = normalizeModelId(id);
    const exact = this.#byId.get(normalized) ?? this.#byId.get(this.#aliases.get(normalized) ?? '');
    if (exact) return { entry: exact };
    const named = this.#byName.get(normalized) ?? [];
    if (named.length === 1) return { entry: named[0]! };
    if (named.length > 1) return { ambiguous: named.map((entry) => entry.id) };
    return undefined;
  }

  list(filter: ModelFilter = {}): ModelEntry[] {
    return [...this.#byId.values()].filter(
      (entry) =>
        (filter.capability === undefined || entry.capabilities.includes(filter.capability)) &&
        (filter.provider === undefined || entry.provider === filter.provider),
    );
  }

  find(id: string): ModelEntry | undefined {
    const found = this.lookup(id);
    return found && 'entry' in found ? found.entry : undefined;
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

import { isDatabaseUnavailable } from './unavailable.ts';

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for writes that arrive together: the items added in one turn of the event loop,
 * or while a write runs, go in the next write, so under load one statement (one commit) carries
 * many and an item alone is written at once. One write runs at a time. Should a write of several
 * fail on its data, each of its items is written again alone, so that one bad item fails only
 * itself; when the database is away, they all fail at once (their callers retry).
 */
export class GroupWriter<Item, Result> {
  readonly #write: (items: Item[]) => Promise<Result[]>;
  readonly #maxItems: number;
  #pending: Waiting<Item, Result>[] = [];
  #running = false;

  /** `write` answers one result per item, in the items' order. */
  constructor(write: (items: Item[]) => Promise<Result[]>, options: { maxItems?: number } = {}) {
    this.#write = write;
    this.#maxItems = options.maxItems ?? 500;
  }

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxItems);
      try {
        const results = await this.#attempt(batch.map((waiting) => waiting.item));
        batch.forEach((waiting, index) => waiting.resolve(results[index]!));
      } catch (error) {
        if (batch.length === 1 || isDatabaseUnavailable(error)) for (const waiting of batch) waiting.reject(error);
        else {
          for (const waiting of batch) await this.#attempt([waiting.item]).then(([result]) => waiting.resolve(result!), waiting.reject);
        }
      }
    }
    this.#running = false;
  }

  /** One write; through a promise, so that a write that throws at once fails its items, not the drain. */
  #attempt(items: Item[]): Promise<Result[]> {
    return Promise.resolve(items).then((ready) => this.#write(ready));
  }
}

import { ProviderError } from '../spec/provider-error.ts';

export interface PoolUsage {
  capacity: number;
  busy: number;
  waiting: number;
  /** Tasks turned away because the line was full, since start. */
  refused: number;
}

/**
 * Hands each of a fixed set of resources (llama.cpp context sequences) to exactly one task at a
 * time, and lets at most `limit` more tasks wait for one. A full line refuses at once (503) rather
 * than letting latency grow without bound; a waiter whose signal aborts leaves the line. A freed
 * resource passes straight to the next waiter, so no task can take one another was promised.
 */
export class BoundedPool<T> {
  readonly #free: T[];
  readonly #limit: number;
  readonly #waiting: ((resource: T) => void)[] = [];
  readonly #fullMessage: string;
  readonly #capacity: number;
  #refused = 0;

  constructor(resources: T[], limit: number, fullMessage = 'The local model is at capacity; retry shortly') {
    this.#capacity = resources.length;
    this.#free = [...resources];
    this.#limit = limit;
    this.#fullMessage = fullMessage;
  }

  /** How full the pool is right now, and how many tasks it has refused so far (read by /metrics). */
  get usage(): PoolUsage {
    return { capacity: this.#capacity, busy: this.#capacity - this.#free.length, waiting: this.#waiting.length, refused: this.#refused };
  }

  async use<R>(task: (resource: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    const resource = await this.#acquire(signal);
    try {
      return await task(resource);
    } finally {
      this.#release(resource);
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<T> {
    signal?.throwIfAborted();
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#waiting.length >= this.#limit) {
      this.#refused++;
      return Promise.reject(new ProviderError('unavailable', this.#fullMessage, { retryAfterSeconds: 1 }));
    }
    return new Promise<T>((resolve, reject) => {
      const admit = (resource: T) => {
        signal?.removeEventListener('abort', leave);
        resolve(resource);
      };
      const leave = () => {
        const index = this.#waiting.indexOf(admit);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#waiting.push(admit);
    });
  }

  #release(resource: T): void {
    const next = this.#waiting.shift();
    if (next) next(resource);
    else this.#free.push(resource);
  }
}

import { ProviderError } from '../spec/provider-error.ts';

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

  constructor(resources: T[], limit: number, fullMessage = 'The local model is at capacity; retry shortly') {
    this.#free = [...resources];
    this.#limit = limit;
    this.#fullMessage = fullMessage;
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

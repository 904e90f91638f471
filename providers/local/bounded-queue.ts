import { ProviderError } from '../spec/provider-error.ts';

/**
 * Runs at most `concurrency` tasks at once and lets at most `limit` more wait. A full queue
 * refuses at once (503) rather than letting latency grow without bound; a waiter whose signal
 * aborts leaves the line.
 */
export class BoundedQueue {
  readonly #concurrency: number;
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: { concurrency: number; limit: number }) {
    this.#concurrency = options.concurrency;
    this.#limit = options.limit;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#running < this.#concurrency) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#limit) {
      throw new ProviderError('unavailable', 'The local model is at capacity; retry shortly', { retryAfterSeconds: 1 });
    }
    await new Promise<void>((resolve, reject) => {
      const admit = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
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

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays as it is.
    if (next) next();
    else this.#running--;
  }
}

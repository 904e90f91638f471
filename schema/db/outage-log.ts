import type { Logger } from 'pino';

/**
 * Says once that a shared store (Postgres, Redis) became unreachable and once that it is back,
 * however many connections, loops and calls fail in between: an outage is one warning and one
 * info line in the log, not a flood.
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #store: string;
  #since: number | undefined;
  #failures = 0;

  constructor(logger: Logger, store: string) {
    this.#logger = logger;
    this.#store = store;
  }

  get down(): boolean {
    return this.#since !== undefined;
  }

  /** A failure that says the store is unreachable; the first of an outage is logged. */
  failed(error: unknown, source: string): void {
    this.#failures++;
    if (this.#since !== undefined) return;
    this.#since = Date.now();
    const { code, message } = error as { code?: unknown; message?: unknown };
    this.#logger.warn({ store: this.#store, source, code, reason: typeof message === 'string' ? message : String(error) }, `${this.#store} unreachable; calls that need it answer 503 until it is back`);
  }

  restored(): void {
    if (this.#since === undefined) return;
    this.#logger.info({ store: this.#store, down_ms: Date.now() - this.#since, failures: this.#failures }, `${this.#store} reachable again`);
    this.#since = undefined;
    this.#failures = 0;
  }
}

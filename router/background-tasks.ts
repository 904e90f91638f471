import type { Logger } from 'pino';

/**
 * Work that may finish after the answer is sent (settling a call's charge), tracked so that a
 * graceful shutdown waits for all of it: nothing accepted is dropped.
 */
export class BackgroundTasks {
  readonly #pending = new Set<Promise<void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  run(name: string, task: () => Promise<void>): void {
    const promise = task()
      .catch((error: unknown) => this.#logger.error({ err: error, task: name }, 'background task failed'))
      .finally(() => this.#pending.delete(promise));
    this.#pending.add(promise);
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}

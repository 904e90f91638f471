import type { BoundedPool } from './bounded-pool.ts';

/**
 * Admission of requests whose work is always local (document parse and chunk), before their
 * bodies are read. The pool bounds each project's tasks, but a request is only a task once its
 * body is read and validated: a burst of large bodies would all be read (and parsed on the event
 * loop) before the first of them is counted. Here a request counts from its headers to its answer,
 * so a project has at most `projectLimit` of them in flight, and none is admitted while its share
 * of the pool, or the pool's line, is full: a refusal costs the headers only.
 */
export class HeavyWorkAdmission {
  readonly #pool: BoundedPool<unknown>;
  readonly #projectLimit: number;
  readonly #inFlight = new Map<string, number>();

  constructor(pool: BoundedPool<unknown>, projectLimit: number) {
    this.#pool = pool;
    this.#projectLimit = projectLimit;
  }

  /** The most requests one project has in flight now. */
  get busiestProject(): number {
    return Math.max(0, ...this.#inFlight.values());
  }

  /** Admits a request of this project or throws its 503; the returned function ends its admission (call it when the answer ends). */
  admit(projectId: string): () => void {
    this.#pool.checkAdmission(projectId);
    const held = this.#inFlight.get(projectId) ?? 0;
    if (held >= this.#projectLimit) {
      throw this.#pool.refusalFor(
        projectId,
        `This project already has ${held} requests for local work in flight (LOCAL_PROJECT_QUEUE_LIMIT ${this.#projectLimit}); retry when they finish`,
      );
    }
    this.#inFlight.set(projectId, held + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.#inFlight.get(projectId)! - 1;
      if (left === 0) this.#inFlight.delete(projectId);
      else this.#inFlight.set(projectId, left);
    };
  }
}

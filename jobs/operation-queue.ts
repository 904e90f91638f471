import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fromKysely, type PgBoss } from 'pg-boss';
import { createId } from '../schema/db/ids.ts';
import type { Database, Operation } from '../schema/db/types.ts';
import {
  cancelQueuedOperation,
  findProjectOperation,
  insertOperation,
  requestOperationCancel,
  type NewOperation,
} from '../schema/db/queries/operations.ts';
import { operationsQueue, type OperationJob } from './queues.ts';
import { notifyOperationCancel } from './operation-cancel-channel.ts';

export type CancelOutcome =
  | { outcome: 'cancelled' | 'cancelling'; operation: Operation }
  | { outcome: 'finished'; operation: Operation }
  | { outcome: 'not_found' };

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/** Creates, reads and cancels operations; what runs them is the worker. */
export class OperationQueue {
  readonly #db: Kysely<Database>;
  readonly #boss: PgBoss;
  readonly #onFinished: (operation: Operation) => Promise<void>;

  constructor(options: { db: Kysely<Database>; boss: PgBoss; onFinished: (operation: Operation) => Promise<void> }) {
    this.#db = options.db;
    this.#boss = options.boss;
    this.#onFinished = options.onFinished;
  }

  /** The row and its job commit together: an accepted operation is never without its job. */
  async enqueue(operation: Omit<NewOperation, 'id' | 'jobId'>): Promise<Operation> {
    // The job id is chosen here so that the row is written once, already pointing at its job.
    const jobId = randomUUID();
    return this.#db.transaction().execute(async (trx) => {
      const row = await insertOperation(trx, { ...operation, id: createId('aiop'), jobId });
      const job: OperationJob = { operationId: row.id };
      await this.#boss.send(operationsQueue, job, { id: jobId, db: fromKysely(trx as never) });
      return row;
    });
  }

  find(projectId: string, id: string): Promise<Operation | undefined> {
    return findProjectOperation(this.#db, projectId, id);
  }

  /**
   * A queued operation ends cancelled at once. A processing one is flagged and its worker, on
   * whichever replica, is told to abort; this waits (bounded) for it to end.
   */
  async cancel(projectId: string, id: string, waitMs = 10_000): Promise<CancelOutcome> {
    const current = await this.find(projectId, id);
    if (!current) return { outcome: 'not_found' };
    if (terminal.has(current.status)) return { outcome: 'finished', operation: current };

    const cancelled = await cancelQueuedOperation(this.#db, projectId, id);
    if (cancelled) {
      if (cancelled.job_id) await this.#boss.cancel(operationsQueue, cancelled.job_id).catch(() => {});
      await this.#onFinished(cancelled);
      return { outcome: 'cancelled', operation: cancelled };
    }

    const flagged = await requestOperationCancel(this.#db, projectId, id);
    if (!flagged) {
      const latest = (await this.find(projectId, id))!;
      return terminal.has(latest.status) ? { outcome: 'finished', operation: latest } : { outcome: 'cancelling', operation: latest };
    }
    await notifyOperationCancel(this.#db, id);
    const deadline = Date.now() + waitMs;
    let latest = flagged;
    while (!terminal.has(latest.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      latest = (await this.find(projectId, id))!;
    }
    return { outcome: latest.status === 'cancelled' ? 'cancelled' : 'cancelling', operation: latest };
  }
}

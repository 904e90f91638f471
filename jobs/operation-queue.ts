import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fromKysely, type PgBoss } from 'pg-boss';
import { createId } from '../schema/db/ids.ts';
import type { Database, Operation } from '../schema/db/types.ts';
import { cancelOperation, findProjectOperation, insertOperations, type NewOperation } from '../schema/db/queries/operations.ts';
import { GroupWriter } from '../schema/db/group-writer.ts';
import { operationsQueue, type OperationJob } from './queues.ts';
import { notifyOperationCancel } from './operation-cancel-channel.ts';

export type CancelOutcome =
  | { outcome: 'cancelled'; operation: Operation }
  /** Ended before the cancel, or its worker is already storing the result: too late either way. */
  | { outcome: 'finished' | 'completing'; operation: Operation }
  | { outcome: 'not_found' };

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/** Creates, reads and cancels operations; what runs them is the worker. */
export class OperationQueue {
  readonly #db: Kysely<Database>;
  readonly #boss: PgBoss;
  readonly #onFinished: (operation: Operation) => Promise<void>;
  /** Submissions accepted together are written together: rows and jobs in one transaction of two statements. */
  readonly #submissions: GroupWriter<NewOperation, Operation>;

  constructor(options: { db: Kysely<Database>; boss: PgBoss; onFinished: (operation: Operation) => Promise<void> }) {
    this.#db = options.db;
    this.#boss = options.boss;
    this.#onFinished = options.onFinished;
    this.#submissions = new GroupWriter((operations) => this.#insert(operations));
  }

  /**
   * The row and its job commit together: an accepted operation is never without its job. Resolves
   * once they are committed, with the submissions of the same moment (group commit).
   */
  enqueue(operation: Omit<NewOperation, 'id' | 'jobId'>): Promise<Operation> {
    // The job id is chosen here so that the row is written once, already pointing at its job.
    return this.#submissions.add({ ...operation, id: createId('aiop'), jobId: randomUUID() });
  }

  #insert(operations: NewOperation[]): Promise<Operation[]> {
    return this.#db.transaction().execute(async (trx) => {
      const rows = await insertOperations(trx, operations);
      // Grouped by project: a worker shares its slots fairly between projects (jobs/job-pump.ts).
      const jobs = operations.map((operation) => ({ id: operation.jobId, data: { operationId: operation.id } satisfies OperationJob, group: { id: operation.projectId } }));
      await this.#boss.insert(operationsQueue, jobs, { db: fromKysely(trx as never) });
      return rows;
    });
  }

  find(projectId: string, id: string): Promise<Operation | undefined> {
    return findProjectOperation(this.#db, projectId, id);
  }

  /**
   * Decided in one statement: the operation ends cancelled now, whatever it was doing, or the
   * cancel is refused because it has ended or its worker is completing it. A worker running it,
   * on whichever replica, is told to abort; it will find the operation ended and store nothing.
   */
  async cancel(projectId: string, id: string): Promise<CancelOutcome> {
    const cancelled = await cancelOperation(this.#db, id, projectId);
    if (!cancelled) {
      const current = await this.find(projectId, id);
      if (!current) return { outcome: 'not_found' };
      return { outcome: terminal.has(current.status) ? 'finished' : 'completing', operation: current };
    }
    const { previous_status: previousStatus, ...operation } = cancelled;
    // Neither decides anything (a claim or a completion would find the operation ended): they
    // spare a worker the run, and failing them must not turn a won cancel into an error.
    if (previousStatus === 'processing') await notifyOperationCancel(this.#db, id).catch(() => {});
    else if (operation.job_id) await this.#boss.cancel(operationsQueue, operation.job_id).catch(() => {});
    await this.#onFinished(operation);
    return { outcome: 'cancelled', operation };
  }
}

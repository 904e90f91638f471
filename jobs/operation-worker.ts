import type { Kysely } from 'kysely';
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database, Operation } from '../schema/db/types.ts';
import {
  abandonOperation,
  cancelOperation,
  claimOperations,
  commitToComplete,
  failOperation,
  findOperation,
  requeueOperation,
  succeedOperations,
  type Success,
} from '../schema/db/queries/operations.ts';
import { GroupWriter } from '../schema/db/group-writer.ts';
import { listenForOperationCancels } from './operation-cancel-channel.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';
import { operationsDeadLetterQueue, operationsQueue, type OperationJob } from './queues.ts';

const jobsPerFetch = 2;

/**
 * pg-boss runs `localConcurrency` fetch loops of up to `batchSize` jobs each: pairs when the
 * concurrency is even, single jobs otherwise, so exactly `concurrency` jobs can run at once (a
 * pair per loop with a concurrency of 1 ran two).
 */
export function fetchShape(concurrency: number): { batchSize: number; localConcurrency: number } {
  const batchSize = concurrency % jobsPerFetch === 0 ? jobsPerFetch : 1;
  return { batchSize, localConcurrency: concurrency / batchSize };
}

export interface OperationOutcome {
  result: unknown;
  usage: Record<string, unknown> | null;
  model: string | null;
}

export interface FailureDescription {
  code: string;
  message: string;
  /** Transient (upstream 429/5xx, timeout): worth another attempt. */
  retryable: boolean;
}

/** The primitives, as the layer above provides them: the worker only schedules and records. */
export interface OperationExecutor {
  execute(operation: Operation, signal: AbortSignal): Promise<OperationOutcome>;
  /** Writes the result to the operation's destination; returns what the operation shows of it. */
  storeResult(operation: Operation, result: unknown): Promise<unknown>;
  describeFailure(error: unknown): FailureDescription;
}

export interface OperationWorkerOptions {
  db: Kysely<Database>;
  boss: PgBoss;
  reachability: DatabaseReachability;
  executor: OperationExecutor;
  concurrency: number;
  timeoutSeconds: number;
  logger: Logger;
  onFinished: (operation: Operation) => Promise<void>;
}

/**
 * Runs queued operations: claims the row, runs the primitive with an AbortSignal (aborted by a
 * cancel from any replica, or by the timeout), records the outcome. Transient failures go back
 * to pg-boss for a retry with backoff; permanent ones end the operation failed. A worker killed
 * mid-run leaves the job to expire, and pg-boss hands it out again (or to the dead-letter queue,
 * whose handler ends the operation failed): nothing stays processing forever. Should the
 * database go away meanwhile, the worker's own reads and the outcome wait for it to come back
 * (the result is not lost, and the job ends instead of waiting out its expiry), and a run that
 * failed because something was unavailable is retried.
 */
export class OperationWorker {
  readonly #options: OperationWorkerOptions;
  readonly #running = new Map<string, AbortController>();
  #cancelListener: { close(): Promise<void> } | undefined;
  /** Claims and successes of runs that reach them together share one statement (group commit). */
  readonly #claims: GroupWriter<string, Operation | undefined>;
  readonly #successes: GroupWriter<Success, Operation | undefined>;

  constructor(options: OperationWorkerOptions) {
    this.#options = options;
    this.#claims = new GroupWriter((ids) => claimOperations(options.db, ids));
    this.#successes = new GroupWriter((successes) => succeedOperations(options.db, successes));
  }

  async start(): Promise<void> {
    const { boss, reachability, logger, concurrency } = this.#options;
    this.#cancelListener = await listenForOperationCancels(
      reachability,
      logger,
      (operationId) => this.#abortRun(operationId),
      () => void this.#abortRunsCancelledMeanwhile(),
    );
    await boss.work<OperationJob>(
      operationsQueue,
      {
        // Settled per job: a worker whose fetch came back full asks again at once, so a backlog
        // drains at full speed instead of one job per poll; NOTIFY wakes idle workers.
        ...fetchShape(concurrency),
        includeMetadata: true,
        perJobResults: true,
        burstWhenBatchFull: true,
        pollingIntervalSeconds: 1,
        notifyPollingIntervalSeconds: 1,
      },
      async (jobs) =>
        Promise.all(
          jobs.map(async (job) => {
            try {
              await this.#run(job);
              return { id: job.id, status: 'completed' as const };
            } catch (error) {
              // pg-boss retries a failed job with backoff while it has attempts left.
              return { id: job.id, status: 'failed' as const, output: { message: (error as Error).message } };
            }
          }),
        ),
    );
    await boss.work<OperationJob>(operationsDeadLetterQueue, { batchSize: 1, pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1 }, async ([job]) => this.#abandon(job!.data.operationId));
  }

  async stop(): Promise<void> {
    await this.#cancelListener?.close();
  }

  #abortRun(operationId: string): void {
    this.#running.get(operationId)?.abort(new DOMException('The operation was cancelled', 'AbortError'));
  }

  /** Cancels made while the cancel channel was down were not heard: the rows say which runs ended cancelled. */
  async #abortRunsCancelledMeanwhile(): Promise<void> {
    for (const operationId of this.#running.keys()) {
      const operation = await findOperation(this.#options.db, operationId).catch(() => undefined);
      if (operation?.status === 'cancelled') this.#abortRun(operationId);
    }
  }

  /** A database step of a run: waits out an outage rather than leaving the job to expire. */
  #persist<T>(work: () => Promise<T>): Promise<T> {
    return this.#options.reachability.retryUntilReachable('operation worker', work);
  }

  async #finish(operation: Operation | undefined): Promise<void> {
    if (operation) await this.#options.onFinished(operation);
  }

  /**
   * Success costs two statements (claim, succeed), three with a result_destination (claim,
   * commit, succeed), besides the storage write. Each is conditional: a cancel that won makes
   * the next one match nothing, and the run ends there without storing or announcing anything.
   */
  async #run(job: Job<OperationJob> & { retryCount?: number; retryLimit?: number }): Promise<void> {
    const { db, executor, logger, timeoutSeconds } = this.#options;
    const { operationId } = job.data;
    const operation = await this.#persist(() => this.#claims.add(operationId));
    if (!operation) return;

    const cancel = new AbortController();
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    this.#running.set(operationId, cancel);
    try {
      const outcome = await executor.execute(operation, AbortSignal.any([cancel.signal, timeout]));
      let destination: unknown;
      if (operation.result_destination) {
        if (!(await this.#persist(() => commitToComplete(db, operationId)))) return;
        destination = await executor.storeResult(operation, outcome.result);
      }
      await this.#finish(
        await this.#persist(() =>
          this.#successes.add({
            id: operationId,
            result: destination === undefined ? outcome.result : null,
            resultDestination: destination,
            usage: outcome.usage,
            model: outcome.model,
          }),
        ),
      );
    } catch (error) {
      if (cancel.signal.aborted) {
        // The cancel that aborted this run ended the operation already (this matches nothing
        // then); a replica of the previous version only flagged it, and this ends it.
        await this.#finish(await this.#persist(() => cancelOperation(db, operationId)));
        return;
      }
      const failure = timeout.aborted
        ? { code: 'timeout', message: `The operation ran longer than ${timeoutSeconds} s`, retryable: false }
        : executor.describeFailure(error);
      const attemptsLeft = (job.retryLimit ?? 0) - (job.retryCount ?? 0);
      // Something the run needed was unavailable (the database, an upstream): worth another attempt.
      const retryable = failure.retryable || failure.code === 'service_unavailable';
      if (retryable && attemptsLeft > 0) {
        if (!(await this.#persist(() => requeueOperation(db, operationId, { code: failure.code, message: failure.message })))) return;
        // A run that failed because the database was away is part of that outage's one warning.
        if (!this.#options.reachability.report(error, 'operation worker')) {
          logger.warn({ operation_id: operationId, code: failure.code, attempts_left: attemptsLeft }, 'operation failed; will retry');
        }
        throw error;
      }
      await this.#finish(await this.#persist(() => failOperation(db, operationId, { code: failure.code, message: failure.message })));
    } finally {
      this.#running.delete(operationId);
    }
  }

  async #abandon(operationId: string): Promise<void> {
    const lost = { code: 'worker_lost', message: 'The worker running this operation stopped on every attempt' };
    await this.#finish(await this.#persist(() => abandonOperation(this.#options.db, operationId, lost)));
  }
}

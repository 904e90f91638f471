import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
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
import { JobPump, type PumpedJob } from './job-pump.ts';

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
  /** Of those, what one project may hold while another project's operations wait. */
  projectConcurrency: number;
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
    this.pumps = [
      new JobPump<OperationJob>({
        boss: options.boss,
        queue: operationsQueue,
        concurrency: options.concurrency,
        // A project alone may use every slot but one, which stays free for another project's
        // next operation (a slot of the borrower's frees when its run ends).
        fairness: { share: options.projectConcurrency, keptForOthers: 1 },
        run: (job, lost) => this.#run(job, lost),
        reachability: options.reachability,
        logger: options.logger,
      }),
      new JobPump<OperationJob>({
        boss: options.boss,
        queue: operationsDeadLetterQueue,
        concurrency: 1,
        fairness: { share: 1, keptForOthers: 0 },
        run: (job) => this.#abandon(job.data.operationId),
        reachability: options.reachability,
        logger: options.logger,
      }),
    ];
  }

  /** What fetches and runs the jobs; woken by the process's NOTIFY listener. */
  readonly pumps: readonly JobPump<OperationJob>[];

  async start(): Promise<void> {
    const { reachability, logger } = this.#options;
    this.#cancelListener = await listenForOperationCancels(
      reachability,
      logger,
      (operationId) => this.#abortRun(operationId),
      () => void this.#abortRunsCancelledMeanwhile(),
    );
    for (const pump of this.pumps) pump.start();
  }

  /** An operation still running after `graceMs` is handed back to the queue (and run again). */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(this.pumps.map((pump) => pump.stop(graceMs)));
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
  async #run(job: PumpedJob<OperationJob>, lost: AbortSignal): Promise<void> {
    const { db, executor, logger, timeoutSeconds } = this.#options;
    const { operationId } = job.data;
    const operation = await this.#persist(() => this.#claims.add(operationId));
    if (!operation) return;

    const cancel = new AbortController();
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    this.#running.set(operationId, cancel);
    try {
      const outcome = await executor.execute(operation, AbortSignal.any([cancel.signal, timeout, lost]));
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
      // The job is no longer this worker's (its claim was lost, or the worker is stopping): the
      // attempt that holds it now records the outcome.
      if (lost.aborted) return;
      if (cancel.signal.aborted) {
        // The cancel that aborted this run ended the operation already (this matches nothing
        // then); a replica of the previous version only flagged it, and this ends it.
        await this.#finish(await this.#persist(() => cancelOperation(db, operationId)));
        return;
      }
      const failure = timeout.aborted
        ? { code: 'timeout', message: `The operation ran longer than ${timeoutSeconds} s`, retryable: false }
        : executor.describeFailure(error);
      const attemptsLeft = job.retryLimit - job.retryCount;
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

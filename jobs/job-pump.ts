import type { JobWithMetadata, PgBoss, WipData } from 'pg-boss';
import type { Logger } from 'pino';
import { GroupWriter } from '../schema/db/group-writer.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';

export type PumpedJob<Data> = JobWithMetadata<Data>;

/** How often a pump looks past the backlog of groups at their share for other groups' jobs. */
const fairFetchIntervalMs = 50;

export type GroupFairness =
  /**
   * A group running `share` jobs here is served after every other group: it may borrow the
   * slots no other group's job wants at that moment, all but `keptForOthers` of them (so that
   * another group's next job starts at once).
   */
  | { share: number; keptForOthers: number }
  /** No group runs more than `cap` jobs at once here, even with slots to spare. */
  | { cap: number };

export interface JobPumpOptions<Data> {
  boss: PgBoss;
  queue: string;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** How the slots are shared between groups of jobs (projects). */
  fairness: GroupFairness;
  /**
   * Runs one job. Resolving completes it; throwing fails the attempt (pg-boss retries it with
   * backoff while it has attempts left). `signal` aborts when the job is no longer this
   * process's to run: its claim was lost, or the process is stopping and its grace ran out.
   */
  run: (job: PumpedJob<Data>, signal: AbortSignal) => Promise<void>;
  /** Failures to fetch or settle: an outage's are its one warning, others are logged. */
  reachability: DatabaseReachability;
  logger: Logger;
  /** The fetch made with no wake-up (retries coming due, a NOTIFY missed). */
  pollMs?: number;
}

interface Running<Data> {
  job: PumpedJob<Data>;
  group: string | undefined;
  /** Aborted when the claim is lost or the grace at stop ran out. */
  lost: AbortController;
  done: Promise<void>;
}

/**
 * One fetch loop per queue and process, in place of pg-boss's per-slot loops (which all woke
 * and fetched on every NOTIFY). It fetches as many jobs as it has free slots, in one statement,
 * when woken (a NOTIFY on enqueue, a slot freed while jobs may be waiting, its poll); wake-ups
 * during a fetch are folded into one more fetch. Completions are written together (group
 * commit); heartbeats refresh every running job in one statement.
 *
 * Fair between groups (`GroupFairness`): one group's backlog does not make another group's
 * jobs wait for a slot.
 */
export class JobPump<Data> {
  readonly #options: JobPumpOptions<Data>;
  readonly #running = new Map<string, Running<Data>>();
  readonly #perGroup = new Map<string, number>();
  readonly #completions: GroupWriter<PumpedJob<Data>, undefined>;
  readonly #createdOn = Date.now();
  #fetching = false;
  /** The fetch loop while it runs: a stop waits for it, so jobs it hands out get their grace too. */
  #pumping: Promise<void> = Promise.resolve();
  /** Jobs may be waiting (a wake-up came, or the last fetch was full): fetch while slots are free, or when one frees. */
  #pending = false;
  /** The groups' limits may have left jobs waiting: fetch when a slot frees. */
  #heldBack = false;
  #lastFairFetch = Number.NEGATIVE_INFINITY;
  #wakeTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lastFetchedOn: number | null = null;
  #lastErrorOn: number | null = null;
  #lastError: unknown = null;
  #lastJobStartedOn: number | null = null;
  #lastJobEndedOn: number | null = null;

  constructor(options: JobPumpOptions<Data>) {
    this.#options = options;
    const { boss, queue } = options;
    this.#completions = new GroupWriter(async (jobs) => {
      await boss.complete(queue, jobs.map(attemptOf));
      return jobs.map(() => undefined);
    });
  }

  #reportError(error: unknown): void {
    const { reachability, logger, queue } = this.#options;
    if (!reachability.report(error, `${queue} queue`)) logger.error({ err: error, queue }, 'job queue error');
  }

  get queue(): string {
    return this.#options.queue;
  }

  start(): void {
    this.#pollTimer = setInterval(() => this.wake(), this.#options.pollMs ?? 1_000);
    this.#pollTimer.unref();
    this.wake();
  }

  /** Jobs may be waiting: fetch now (or right after the fetch in flight). */
  wake(): void {
    if (this.#stopping) return;
    this.#pending = true;
    if (!this.#fetching && this.#running.size < this.#options.concurrency) this.#pumping = this.#pump();
  }

  async #pump(): Promise<void> {
    this.#fetching = true;
    try {
      while (this.#pending && !this.#stopping && this.#running.size < this.#options.concurrency) {
        this.#pending = false;
        const { jobs, full, heldBack } = await this.#fetch(this.#options.concurrency - this.#running.size);
        this.#lastFetchedOn = Date.now();
        for (const job of jobs) this.#start(job);
        // A full fetch says more may be waiting: fetch again while slots are free, or as they free.
        if (full) this.#pending = true;
        if (heldBack) this.#heldBack = true;
      }
    } catch (error) {
      this.#lastErrorOn = Date.now();
      this.#lastError = error;
      this.#reportError(error);
    } finally {
      this.#fetching = false;
    }
  }

  /**
   * Up to `free` jobs, shared between groups as `fairness` says. `full`: a fetch got all it
   * asked for (more may be waiting); `heldBack`: the groups' limits may have left jobs waiting.
   */
  async #fetch(free: number): Promise<{ jobs: PumpedJob<Data>[]; full: boolean; heldBack: boolean }> {
    const { boss, queue, fairness } = this.#options;
    const fetch = (batchSize: number, ignoreGroups: string[] = []) =>
      boss.fetch<Data>(queue, { batchSize, includeMetadata: true, ...(ignoreGroups.length > 0 ? { ignoreGroups } : {}) }) as Promise<PumpedJob<Data>[]>;
    if ('cap' in fairness) {
      const { reached: atCap, room } = this.#groupsAgainst(fairness.cap);
      const batch = Math.min(free, room);
      const jobs = await fetch(batch, atCap);
      return { jobs, full: jobs.length === batch, heldBack: atCap.length > 0 || batch < free };
    }
    // First the groups below their share, none of them past it, so that one group's backlog
    // never fills slots another group's jobs are waiting for. Reading past the backlog of the
    // groups at their share costs a scan, so it is done at most every `fairFetchIntervalMs`.
    const { reached: atShare, room } = this.#groupsAgainst(fairness.share);
    let fair: PumpedJob<Data>[] = [];
    const sinceFairFetch = performance.now() - this.#lastFairFetch;
    if (atShare.length === 0 || sinceFairFetch >= fairFetchIntervalMs) {
      if (atShare.length > 0) this.#lastFairFetch = performance.now();
      const batch = Math.min(free, room);
      fair = await fetch(batch, atShare);
      if (fair.length === batch) return { jobs: fair, full: true, heldBack: atShare.length > 0 };
      // Short with no group at its share: nothing else is waiting.
      if (atShare.length === 0) return { jobs: fair, full: false, heldBack: false };
    } else this.#wakeIn(fairFetchIntervalMs - sinceFairFetch);
    // Then the slots nobody below their share wants are lent to the groups at it, all but the
    // ones kept for another group's next job.
    const borrowable = free - fair.length - fairness.keptForOthers;
    if (borrowable <= 0) return { jobs: fair, full: false, heldBack: true };
    const borrowed = await fetch(borrowable);
    return { jobs: fair.concat(borrowed), full: borrowed.length === borrowable, heldBack: true };
  }

  /**
   * The groups running `limit` jobs or more, and the room below it: what the fullest of the
   * others has left, so that no group a fetch brings passes the limit.
   */
  #groupsAgainst(limit: number): { reached: string[]; room: number } {
    const reached: string[] = [];
    let fullest = 0;
    for (const [group, count] of this.#perGroup) {
      if (count >= limit) reached.push(group);
      else fullest = Math.max(fullest, count);
    }
    return { reached, room: limit - fullest };
  }

  #wakeIn(ms: number): void {
    if (this.#wakeTimer) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.wake();
    }, ms);
    this.#wakeTimer.unref();
  }

  #start(job: PumpedJob<Data>): void {
    const group = job.groupId ?? undefined;
    if (group !== undefined) this.#perGroup.set(group, (this.#perGroup.get(group) ?? 0) + 1);
    this.#lastJobStartedOn = Date.now();
    const lost = new AbortController();
    const running: Running<Data> = { job, group, lost, done: Promise.resolve() };
    this.#running.set(job.id, running);
    this.#ensureHeartbeat(job);
    running.done = this.#runAndSettle(running);
  }

  async #runAndSettle(running: Running<Data>): Promise<void> {
    const { job, lost } = running;
    const { boss, queue, run } = this.#options;
    try {
      const failure = await run(job, lost.signal).then(
        () => undefined,
        (error: unknown) => ({ message: error instanceof Error ? error.message : String(error) }),
      );
      // A job whose claim is gone is someone else's now (retried, or failed at stop): nothing to settle.
      if (lost.signal.aborted) return;
      if (failure) await boss.fail(queue, attemptOf(job), failure);
      else await this.#completions.add(job);
    } catch (error) {
      // Not settled (the database is away): the job expires and is handed out again, and a run
      // that finds its operation ended does nothing.
      this.#reportError(error);
    } finally {
      this.#finish(running);
    }
  }

  #finish(running: Running<Data>): void {
    this.#running.delete(running.job.id);
    if (running.group !== undefined) {
      const left = (this.#perGroup.get(running.group) ?? 1) - 1;
      if (left > 0) this.#perGroup.set(running.group, left);
      else this.#perGroup.delete(running.group);
    }
    this.#lastJobEndedOn = Date.now();
    if (this.#running.size === 0 && this.#heartbeatTimer) {
      clearInterval(this.#heartbeatTimer);
      this.#heartbeatTimer = undefined;
    }
    if (this.#pending || this.#heldBack) {
      this.#heldBack = false;
      this.wake();
    }
  }

  /** Every running job's heartbeat in one statement, at half the queue's heartbeat (its jobs share it). */
  #ensureHeartbeat(job: PumpedJob<Data>): void {
    if (!job.heartbeatSeconds || this.#heartbeatTimer) return;
    this.#heartbeatTimer = setInterval(() => void this.#touch(), (job.heartbeatSeconds * 1000) / 2);
    this.#heartbeatTimer.unref();
  }

  async #touch(): Promise<void> {
    const held = [...this.#running.values()].filter((running) => running.job.heartbeatSeconds && !running.lost.signal.aborted);
    if (held.length === 0) return;
    let refreshed: Set<string>;
    try {
      // pg-boss answers the ids it refreshed in `settled`, which its declared type leaves out.
      const touched: { settled?: string[] } = await this.#options.boss.touch(this.#options.queue, held.map((running) => attemptOf(running.job)));
      // A heartbeat that could not say which claims it refreshed says nothing about any of them.
      if (!touched.settled) return;
      refreshed = new Set(touched.settled);
    } catch (error) {
      // Nor does one that could not run.
      this.#reportError(error);
      return;
    }
    for (const running of held) {
      // Ended meanwhile (its completion took the claim), or taken from this worker: stop working on it.
      if (!refreshed.has(running.job.id) && this.#running.get(running.job.id) === running) {
        running.lost.abort(new Error(`job ${running.job.id} is no longer claimed by this worker`));
      }
    }
  }

  /**
   * Stops fetching and waits up to `graceMs` for the running jobs; those still running then are
   * failed (pg-boss hands them out again, as it would after a crash, only sooner) and aborted.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#wakeTimer);
    await this.#pumping;
    const drained = await this.#allEnded(graceMs);
    if (!drained) {
      const left = [...this.#running.values()];
      for (const running of left) running.lost.abort(new Error('the worker stopped before the job ended'));
      await this.#options.boss
        .fail(this.#options.queue, left.map((running) => attemptOf(running.job)), { message: 'the worker stopped before the job ended' })
        .catch((error: unknown) => this.#reportError(error));
      // A moment for the aborted runs to unwind; one that ignores its signal is not waited for.
      await this.#allEnded(1_000);
    }
    clearInterval(this.#heartbeatTimer);
  }

  /** Whether every running job ended within `ms`. */
  async #allEnded(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const over = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const ended = Promise.all([...this.#running.values()].map((running) => running.done)).then(() => true as const);
    const outcome = await Promise.race([ended, over]);
    clearTimeout(timer);
    return outcome;
  }

  /** In pg-boss's own shape, for the liveness probe (`stalledLoops`). */
  wipData(): WipData {
    const lastError = this.#lastError;
    return {
      id: this.#options.queue,
      workId: this.#options.queue,
      name: this.#options.queue,
      options: {},
      state: this.#stopping ? 'stopping' : 'active',
      count: this.#running.size,
      createdOn: this.#createdOn,
      lastFetchedOn: this.#lastFetchedOn,
      lastJobStartedOn: this.#lastJobStartedOn,
      lastJobEndedOn: this.#lastJobEndedOn,
      lastJobDuration: null,
      lastError: lastError === null ? null : { message: lastError instanceof Error ? lastError.message : String(lastError) },
      lastErrorOn: this.#lastErrorOn,
    } as WipData;
  }
}

/** The job as the attempt this worker fetched, so settling it cannot touch a later attempt. */
function attemptOf(job: { id: string; retryCount: number }): { id: string; retryCount: number } {
  return { id: job.id, retryCount: job.retryCount };
}

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { OutageLog } from './outage-log.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

/** Waits between attempts against a database that is away: 100 ms doubling to `capMs`. */
export function backoffMs(attempt: number, capMs = 1000): number {
  return Math.min(capMs, 100 * 2 ** Math.min(attempt, 16));
}

/** A pause that keeps no process alive by itself. */
export const pause = (ms: number) => sleep(ms, undefined, { ref: false });

/**
 * What this process knows of its database's reachability. Every part that talks to Postgres
 * (pools, LISTEN sessions, the lease lock, pg-boss, the ledger) reports its failures here: one
 * that says the database is unreachable starts an outage, logged once, and a probe that tries a
 * fresh connection with backoff (at most a second apart) until the database answers, then logs
 * its return once. Sessions that must be reopened wait for that instead of each retrying alone.
 */
export class DatabaseReachability {
  readonly connectionString: string;
  readonly #outage: OutageLog;
  #back: Promise<void> | undefined;
  #closed = false;

  constructor(options: { connectionString: string; logger: Logger }) {
    this.connectionString = options.connectionString;
    this.#outage = new OutageLog(options.logger, 'database');
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Notes a failure. True when it says the database is unreachable (then the outage is logged
   * once and watched until it ends); false for any other failure, which the caller reports.
   */
  report(error: unknown, source: string): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.#closed) return true;
    this.#outage.failed(error, source);
    this.#back ??= this.#probeUntilBack();
    return true;
  }

  /** Whether an outage is known and not yet over. */
  get away(): boolean {
    return this.#back !== undefined;
  }

  /** At once when no outage is known; else once the database answers again (or this closes). */
  reachable(): Promise<void> {
    return this.#back ?? Promise.resolve();
  }

  /**
   * Runs `work` (a write that must not be lost, a read a job needs) until it succeeds: a failure
   * because the database is away waits for it and tries again, for as long as it takes; any
   * other failure, or one after `close`, is thrown.
   */
  async retryUntilReachable<T>(source: string, work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!this.report(error, source) || this.#closed) throw error;
        await this.reachable();
      }
    }
  }

  async #probeUntilBack(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      await pause(backoffMs(attempt));
      if (!this.#closed && (await answers(this.connectionString))) break;
    }
    this.#back = undefined;
    if (!this.#closed) this.#outage.restored();
  }

  /** Stops probing; waiters are let go (and see `closed`). */
  close(): void {
    this.#closed = true;
  }
}

async function answers(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

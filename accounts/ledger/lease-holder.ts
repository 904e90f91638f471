import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { keepSession, type DedicatedSession } from '../../schema/db/dedicated-session.ts';
import type { DatabaseReachability } from '../../schema/db/reachability.ts';

/**
 * This process's identity as a holder of balance leases, proved by a session advisory lock on a
 * connection of its own: while the process lives the lock is held; when it dies (even SIGKILL)
 * Postgres drops the connection and the lock with it, and any other process may reclaim its
 * leases. A lost connection therefore means the leases may already be reclaimed: `onLost` tells
 * the ledger to stop spending them, and a new identity is taken, locked as soon as the database
 * answers again.
 */
export class LeaseHolder {
  #id = randomUUID();
  #session: DedicatedSession | undefined;
  readonly #reachability: DatabaseReachability;
  readonly #logger: Logger;
  readonly #onLost: (previousId: string) => void;

  constructor(options: { reachability: DatabaseReachability; logger: Logger; onLost: (previousId: string) => void }) {
    this.#reachability = options.reachability;
    this.#logger = options.logger;
    this.#onLost = options.onLost;
  }

  /** The identity leases are taken under; valid only while `ready`. */
  get id(): string {
    return this.#id;
  }

  get ready(): boolean {
    return this.#session?.client !== undefined;
  }

  async start(): Promise<void> {
    this.#session = await keepSession({
      reachability: this.#reachability,
      logger: this.#logger,
      name: 'balance lease lock',
      // Each connection locks the identity current when it opens: a new one after every loss.
      setUp: (client) => client.query(`select pg_advisory_lock(hashtextextended($1, 0))`, [`ai-balance-lease:${this.#id}`]),
      onLost: () => {
        const previous = this.#id;
        this.#id = randomUUID();
        this.#onLost(previous);
      },
    });
  }

  async close(): Promise<void> {
    await this.#session?.close();
  }
}

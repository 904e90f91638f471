import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * This process's identity as a holder of balance leases, proved by a session advisory lock on a
 * connection of its own: while the process lives the lock is held; when it dies (even SIGKILL)
 * Postgres drops the connection and the lock with it, and any other process may reclaim its
 * leases. A lost connection therefore means the leases may already be reclaimed: `onLost` tells
 * the ledger to stop spending them, and a new identity is taken.
 */
export class LeaseHolder {
  #id = randomUUID();
  #client: pg.Client | undefined;
  #closed = false;
  readonly #connectionString: string;
  readonly #logger: Logger;
  readonly #onLost: (previousId: string) => void;

  constructor(options: { connectionString: string; logger: Logger; onLost: (previousId: string) => void }) {
    this.#connectionString = options.connectionString;
    this.#logger = options.logger;
    this.#onLost = options.onLost;
  }

  /** The identity leases are taken under; valid only while `ready`. */
  get id(): string {
    return this.#id;
  }

  get ready(): boolean {
    return this.#client !== undefined;
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`select pg_advisory_lock(hashtextextended($1, 0))`, [`ai-balance-lease:${this.#id}`]);
    this.#client = client;
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    const previous = this.#id;
    this.#id = randomUUID();
    this.#logger.warn({ err: error }, 'balance lease lock connection lost; leases handed over, taking a new identity');
    this.#onLost(previous);
    const retry = () => {
      if (this.#closed) return;
      this.start().catch((startError: unknown) => {
        this.#logger.warn({ err: startError }, 'balance lease lock reconnect failed');
        setTimeout(retry, 1000).unref();
      });
    };
    setTimeout(retry, 100).unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}

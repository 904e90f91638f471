import pg from 'pg';
import type { Logger } from 'pino';
import { backoffMs, pause, type DatabaseReachability } from './reachability.ts';

export interface DedicatedSession {
  /** The open connection; undefined while it is being reopened. */
  readonly client: pg.Client | undefined;
  close(): Promise<void>;
}

export interface SessionOptions {
  reachability: DatabaseReachability;
  logger: Logger;
  /** Names the session in logs. */
  name: string;
  /** What lives on the session (a LISTEN, an advisory lock): run on every connection it opens. */
  setUp(client: pg.Client): Promise<unknown>;
  /** The connection was lost: what lived on it is gone until it is reopened. */
  onLost?(): void;
  /** A lost connection was opened again and set up. */
  onReopened?(): void;
}

/**
 * A connection of its own, outside the pools, for state that lives on a session. When Postgres
 * drops it, `onLost` runs and it is opened and set up again as soon as the database answers,
 * retrying with backoff for as long as it takes (a failure other than the database being away
 * is logged and retried less often). The first open's failure is thrown to the caller.
 */
export async function keepSession(options: SessionOptions): Promise<DedicatedSession> {
  const { reachability, logger, name } = options;
  let current: pg.Client | undefined;
  let closed = false;

  const reportFailure = (error: unknown, what: string): boolean => {
    const unavailable = reachability.report(error, name);
    if (!unavailable) logger.warn({ err: error, session: name }, what);
    return unavailable;
  };

  const open = async (): Promise<void> => {
    // Keepalive: a connection dropped without a word (a peer gone from the network) is noticed.
    const client = new pg.Client({ connectionString: reachability.connectionString, keepAlive: true, connectionTimeoutMillis: 5000 });
    let ended = false;
    const lost = (error: unknown) => {
      if (ended) return;
      ended = true;
      // Errors while opening reject the open itself.
      if (current !== client) return;
      current = undefined;
      client.end().catch(() => {});
      if (closed) return;
      reportFailure(error, 'database session lost; reopening');
      options.onLost?.();
      void reopen();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('Connection terminated unexpectedly')));
    try {
      await client.connect();
      await options.setUp(client);
    } catch (error) {
      ended = true;
      await client.end().catch(() => {});
      throw error;
    }
    if (closed) {
      ended = true;
      await client.end().catch(() => {});
      return;
    }
    current = client;
  };

  const reopen = async (): Promise<void> => {
    for (let attempt = 0; !closed; attempt++) {
      await reachability.reachable();
      if (closed) return;
      try {
        await open();
        if (current) options.onReopened?.();
        return;
      } catch (error) {
        const unavailable = reportFailure(error, 'reopening a database session failed; retrying');
        await pause(backoffMs(attempt, unavailable ? 1000 : 30_000));
      }
    }
  };

  await open();
  return {
    get client() {
      return current;
    },
    async close() {
      closed = true;
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}

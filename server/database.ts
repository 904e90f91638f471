import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from '../schema/db/types.ts';
import { migrateToLatest } from '../schema/db/migrate.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { DatabaseReachability } from '../schema/db/reachability.ts';
import { PreparingClient } from '../schema/db/prepared-client.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  /**
   * For the per-request ledger and rate-limit writes: commits do not wait for the WAL flush
   * (synchronous_commit=off). Row locks still serialise reservations, so no balance is ever
   * overspent; a database crash can lose the last fraction of a second of them, i.e. undercharge.
   */
  hotPathDb: Kysely<Database>;
  hotPathPool: pg.Pool;
  pool: pg.Pool;
  connectionString: string;
  /** Where every part reports the database going away, and waits for it to return. */
  reachability: DatabaseReachability;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or to an embedded Postgres when it is unset, and migrates.
 * `shareEmbedded`: use the embedded cluster a running server started (the admin CLI).
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { shareEmbedded?: boolean; onQuery?: ((event: LogEvent) => void) | undefined } = {},
): Promise<DatabaseHandle> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, logger, share: options.shareEmbedded ?? false });
  const connectionString = config.databaseUrl ?? embedded!.connectionString;

  const reachability = new DatabaseReachability({ connectionString, logger });
  const openPool = (extra: pg.PoolConfig = {}) => {
    // Idle connections stay a minute (pg's default is 10 s): bursts should not reconnect. A call
    // waits at most 5 s for a connection, then answers 503, rather than hanging on a lost server.
    // Keepalive: a server gone without a word (a failover, a dropped network) is noticed.
    const pool = new pg.Pool({ Client: PreparingClient, connectionString, max: config.databasePoolSize, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 5_000, keepAlive: true, ...extra });
    pool.on('error', (error) => {
      if (!reachability.report(error, 'database pool')) logger.warn({ err: error }, 'idle database connection failed');
    });
    // pg-pool takes its own 'error' listener off a connection while it is lent out (Kysely adds
    // none), and a socket that dies then, as every one does when Postgres restarts, emits
    // 'error' with nobody listening: that ended the process. The statement running on it fails
    // with the same error, so this listener only reports it.
    pool.on('connect', (client) => client.on('error', (error) => reachability.report(error, 'database pool')));
    return pool;
  };
  const pool = openPool();
  // Only tracing watches queries; without it Kysely is given no log hook at all.
  const log = options.onQuery ? { log: options.onQuery } : {};
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...log });
  const hotPathPool = openPool({ options: '-c synchronous_commit=off' });
  const hotPathDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: hotPathPool }), ...log });

  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    reachability.close();
    await db.destroy();
    await hotPathDb.destroy();
    await embedded?.stop();
    throw error;
  }

  return {
    db,
    hotPathDb,
    hotPathPool,
    pool,
    connectionString,
    reachability,
    embedded: embedded !== undefined,
    async close() {
      reachability.close();
      await db.destroy();
      await hotPathDb.destroy();
      await embedded?.stop();
    },
  };
}

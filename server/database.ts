import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from '../schema/db/types.ts';
import { migrateToLatest } from '../schema/db/migrate.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

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

  // Idle connections stay a minute (pg's default is 10 s): bursts should not reconnect.
  const pool = new pg.Pool({ connectionString, max: config.databasePoolSize, idleTimeoutMillis: 60_000 });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  // Only tracing watches queries; without it Kysely is given no log hook at all.
  const log = options.onQuery ? { log: options.onQuery } : {};
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...log });
  const hotPathPool = new pg.Pool({ connectionString, max: config.databasePoolSize, idleTimeoutMillis: 60_000, options: '-c synchronous_commit=off' });
  hotPathPool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  const hotPathDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: hotPathPool }), ...log });

  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
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
    embedded: embedded !== undefined,
    async close() {
      await db.destroy();
      await hotPathDb.destroy();
      await embedded?.stop();
    },
  };
}

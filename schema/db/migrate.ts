import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as projectsAndKeys from './migrations/0001-projects-and-keys.ts';
import * as operationsStorageWebhooks from './migrations/0002-operations-storage-webhooks.ts';
import * as ledgerUsageLimits from './migrations/0003-ledger-usage-limits.ts';
import * as realtimeSessions from './migrations/0004-realtime-sessions.ts';
import * as realtimeSingleUse from './migrations/0005-realtime-single-use.ts';
import * as storedResponses from './migrations/0006-stored-responses.ts';
import * as balanceLeases from './migrations/0007-balance-leases.ts';
import * as usageRecordsUnchecked from './migrations/0008-usage-records-unchecked.ts';
import * as usageRecordGroups from './migrations/0009-usage-record-groups.ts';
import * as operationCompleting from './migrations/0010-operation-completing.ts';
import * as rateLimitHolders from './migrations/0011-rate-limit-holders.ts';
import * as usageEstimated from './migrations/0012-usage-estimated.ts';

/** Migrations are imported statically so they ship with the code and run in a fixed order. */
const migrations: Record<string, Migration> = {
  '0001-projects-and-keys': projectsAndKeys,
  '0002-operations-storage-webhooks': operationsStorageWebhooks,
  '0003-ledger-usage-limits': ledgerUsageLimits,
  '0004-realtime-sessions': realtimeSessions,
  '0005-realtime-single-use': realtimeSingleUse,
  '0006-stored-responses': storedResponses,
  '0007-balance-leases': balanceLeases,
  '0008-usage-records-unchecked': usageRecordsUnchecked,
  '0009-usage-record-groups': usageRecordGroups,
  '0010-operation-completing': operationCompleting,
  '0011-rate-limit-holders': rateLimitHolders,
  '0012-usage-estimated': usageEstimated,
};

/** Every migration, in order: for a Migrator of your own (to migrate to a given point, or down). */
export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to date. Kysely takes a Postgres advisory lock for the run, so replicas
 * booting together migrate once; running it again is a no-op.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(failed ? `Database migration ${failed.migrationName} failed` : 'Database migration failed', { cause: error });
  }
}

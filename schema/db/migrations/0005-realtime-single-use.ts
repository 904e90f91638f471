import type { Kysely } from 'kysely';

/** A client secret opens one relay: the time it was used, claimed atomically at connect. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('realtime_sessions').addColumn('connected_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('realtime_sessions').dropColumn('connected_at').execute();
}

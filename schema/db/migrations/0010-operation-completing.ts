import { sql, type Kysely } from 'kysely';

/**
 * `completing_at`: the moment a worker committed to completing an operation, before it writes
 * the result anywhere a caller can see (its result_destination). A cancel may win only before
 * it; after it, cancel answers 409. A cancel now ends the operation itself, in the same
 * statement that decides it won, so no operation is left flagged for its worker to end:
 * operations flagged the older way (cancel_requested_at, still queued or processing) end
 * cancelled here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operations').addColumn('completing_at', 'timestamptz').execute();
  await sql`
    update operations set status = 'cancelled', cancelled_at = coalesce(cancelled_at, now())
    where cancel_requested_at is not null and status in ('queued', 'processing')
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operations').dropColumn('completing_at').execute();
}

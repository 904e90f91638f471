import { sql, type Kysely } from 'kysely';

/**
 * Usage records are an append-only log written in batches on every call's behalf, and a
 * foreign-key check per inserted row was most of what Postgres spent on them (a lookup and a
 * row lock on the project for each record). They are only ever written for the project of a key
 * that was just authenticated, and projects are never deleted, so the check bought nothing;
 * the index by project and time stays for reading them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table usage_records drop constraint if exists usage_records_project_id_fkey`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table usage_records add constraint usage_records_project_id_fkey foreign key (project_id) references projects (id) on delete cascade`.execute(db);
}

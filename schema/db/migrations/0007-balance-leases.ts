import { sql, type Kysely } from 'kysely';

/**
 * Slices of a project's balance moved to one process (the holder) so it can reserve and settle
 * calls in memory. `amount` is what the holder has taken and not given back; `spent` what its
 * flushed charges used of it. A project's balance is the unleased rest plus every open lease's
 * `amount - spent`. A lease whose holder died (its advisory lock is free) is closed by whoever
 * notices, giving `amount - spent` back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('balance_leases')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('project_id', 'text', (column) => column.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('holder', 'text', (column) => column.notNull())
    .addColumn('amount', sql`numeric(38, 12)`, (column) => column.notNull().defaultTo(0))
    .addColumn('spent', sql`numeric(38, 12)`, (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await sql`create index balance_leases_open_project on balance_leases (project_id) where closed_at is null`.execute(db);
  await sql`create index balance_leases_open_holder on balance_leases (holder) where closed_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('balance_leases').execute();
}

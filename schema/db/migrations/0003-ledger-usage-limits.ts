import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The balance every reservation checks and moves atomically; always the sum of the ledger.
  await db.schema
    .createTable('project_balances')
    .addColumn('project_id', 'text', (column) => column.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('balance', sql`numeric(38, 12)`, (column) => column.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    insert into project_balances (project_id, balance)
    select p.id, coalesce((select sum(amount) from ledger_entries l where l.project_id = p.id), 0) from projects p
  `.execute(db);

  await db.schema.alterTable('ledger_entries').addColumn('reservation_id', 'text').execute();
  await db.schema.alterTable('ledger_entries').addColumn('key_id', 'text').execute();
  await db.schema.createIndex('ledger_entries_reservation_id').on('ledger_entries').column('reservation_id').execute();

  await db.schema
    .createTable('usage_records')
    .addColumn('id', 'bigserial', (column) => column.primaryKey())
    .addColumn('project_id', 'text', (column) => column.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('primitive', 'text', (column) => column.notNull())
    .addColumn('model', 'text')
    .addColumn('input_units', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('output_units', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('unit', 'text', (column) => column.notNull())
    .addColumn('tokens_charged', sql`numeric(38, 12)`, (column) => column.notNull())
    .addColumn('latency_ms', 'integer', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('request_id', 'text', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('usage_records_project_created').on('usage_records').columns(['project_id', 'created_at']).execute();

  // The key an async operation was accepted with: its usage is recorded against it.
  await db.schema.alterTable('operations').addColumn('key_id', 'text').execute();

  for (const table of ['api_keys', 'projects']) {
    await db.schema.alterTable(table).addColumn('requests_per_minute', 'integer').execute();
    await db.schema.alterTable(table).addColumn('tokens_per_minute', 'integer').execute();
  }

  // Rate-limit counters (rate-limiter-flexible's layout). Unlogged: counters need no crash safety,
  // and skipping the WAL keeps the per-request write cheap.
  await sql`
    create unlogged table if not exists rate_limit_counters (
      key varchar(255) primary key,
      points integer not null default 0,
      expire bigint
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_counters').execute();
  for (const table of ['api_keys', 'projects']) {
    await db.schema.alterTable(table).dropColumn('requests_per_minute').dropColumn('tokens_per_minute').execute();
  }
  await db.schema.alterTable('operations').dropColumn('key_id').execute();
  await db.schema.dropTable('usage_records').execute();
  await db.schema.alterTable('ledger_entries').dropColumn('reservation_id').dropColumn('key_id').execute();
  await db.schema.dropTable('project_balances').execute();
}

import { sql, type Kysely } from 'kysely';

/**
 * Usage is written in batches, and a batch's calls come in groups sharing a key, primitive,
 * model and unit. Stored as a row per call, each cost Postgres a tuple, two index entries and a
 * sequence value (about 6 µs of its CPU per call measured alone, on the same cores as the calls);
 * stored as a row per group with one array per field, about 1.5 µs. The arrays are kept
 * uncompressed (storage external): compressing them cost more CPU per call than the rest of the
 * write.
 *
 * `usage_records` stays, as a view with a row per call: `group_id` and `position` (from 1, in
 * the order the calls settled) say where each call is stored. Charges are kept in whole
 * picotokens; the view gives them in tokens at the 12 decimals of the ledger.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table usage_record_groups (
      id bigserial primary key,
      project_id text not null,
      key_id text not null,
      primitive text not null,
      model text,
      unit text not null,
      created_at timestamptz not null default now(),
      input_units bigint[] not null,
      output_units bigint[] not null,
      charged_picotokens numeric[] not null,
      latency_ms integer[] not null,
      status text[] not null,
      request_id text[] not null,
      constraint usage_record_groups_columns_align check (
        cardinality(request_id) > 0 and cardinality(input_units) = cardinality(request_id) and cardinality(output_units) = cardinality(request_id)
        and cardinality(charged_picotokens) = cardinality(request_id) and cardinality(latency_ms) = cardinality(request_id)
        and cardinality(status) = cardinality(request_id)
      )
    )
  `.execute(db);
  for (const column of ['input_units', 'output_units', 'charged_picotokens', 'latency_ms', 'status', 'request_id']) {
    await sql`alter table usage_record_groups alter column ${sql.id(column)} set storage external`.execute(db);
  }
  await sql`create index usage_record_groups_project on usage_record_groups (project_id, id)`.execute(db);
  // Records written before this migration become groups of one, in their order.
  await sql`
    insert into usage_record_groups (project_id, key_id, primitive, model, unit, created_at, input_units, output_units, charged_picotokens, latency_ms, status, request_id)
    select project_id, key_id, primitive, model, unit, created_at, array[input_units], array[output_units], array[round(tokens_charged * 1000000000000)],
           array[latency_ms], array[status], array[request_id]
    from usage_records order by id
  `.execute(db);
  await sql`drop table usage_records`.execute(db);
  await createUsageRecordsView(db);
}

/** The view as this migration made it (a later one's `down` comes back to it). */
export async function createUsageRecordsView(db: Kysely<unknown>): Promise<void> {
  await sql`
    create view usage_records as
    select g.id as group_id, c.position, g.project_id, g.key_id, g.primitive, g.model, c.input_units, c.output_units, g.unit,
           c.charged_picotokens * 0.000000000001 as tokens_charged, c.latency_ms, c.status, c.request_id, g.created_at
    from usage_record_groups g
    cross join lateral unnest(g.input_units, g.output_units, g.charged_picotokens, g.latency_ms, g.status, g.request_id)
      with ordinality as c(input_units, output_units, charged_picotokens, latency_ms, status, request_id, position)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table usage_records_restored as
    select project_id, key_id, primitive, model, input_units, output_units, unit, tokens_charged::numeric(38, 12) as tokens_charged, latency_ms::integer as latency_ms,
           status, request_id, created_at
    from usage_records order by group_id, position
  `.execute(db);
  await sql`drop view usage_records`.execute(db);
  await sql`drop table usage_record_groups`.execute(db);
  await sql`alter table usage_records_restored rename to usage_records`.execute(db);
  await sql`alter table usage_records add column id bigserial primary key`.execute(db);
  for (const column of ['project_id', 'key_id', 'primitive', 'input_units', 'output_units', 'unit', 'tokens_charged', 'latency_ms', 'status', 'request_id', 'created_at']) {
    await sql`alter table usage_records alter column ${sql.id(column)} set not null`.execute(db);
  }
  await sql`alter table usage_records alter column created_at set default now()`.execute(db);
  await sql`create index usage_records_project_created on usage_records (project_id, created_at)`.execute(db);
}

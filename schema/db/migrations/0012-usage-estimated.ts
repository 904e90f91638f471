import { sql, type Kysely } from 'kysely';
import { createUsageRecordsView } from './0009-usage-record-groups.ts';

/**
 * Some calls are billed on a count the service made itself rather than one the model reported:
 * an upstream that sends no usage, a stream cut off before its last event with no tokenizer for
 * its model. Their groups say so (`estimated`, part of the group's identity, so it costs nothing
 * per call), and the view gives it to every call of the group.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table usage_record_groups add column estimated boolean not null default false`.execute(db);
  await sql`drop view usage_records`.execute(db);
  await sql`
    create view usage_records as
    select g.id as group_id, c.position, g.project_id, g.key_id, g.primitive, g.model, c.input_units, c.output_units, g.unit,
           c.charged_picotokens * 0.000000000001 as tokens_charged, c.latency_ms, c.status, c.request_id, g.created_at, g.estimated
    from usage_record_groups g
    cross join lateral unnest(g.input_units, g.output_units, g.charged_picotokens, g.latency_ms, g.status, g.request_id)
      with ordinality as c(input_units, output_units, charged_picotokens, latency_ms, status, request_id, position)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view usage_records`.execute(db);
  await createUsageRecordsView(db);
  await sql`alter table usage_record_groups drop column estimated`.execute(db);
}

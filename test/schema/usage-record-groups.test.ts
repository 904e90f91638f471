import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../schema/db/migrate.ts';
import { recordCharges } from '../../schema/db/queries/balance-leases.ts';
import { listRecentUsage } from '../../schema/db/queries/ledger.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { UsageBatch } from '../../accounts/ledger/usage-batch.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

/**
 * Usage is stored a row per group of calls, and read a row per call through the `usage_records`
 * view: records written before the change survive it (and its reversal) unchanged.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let migrator: Migrator;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
  migrator = new Migrator({ db: db as Kysely<unknown>, provider: migrationProvider });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const migrateTo = async (name: string) => {
  const { error } = name === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateTo(name);
  if (error) throw error;
};

/** What a caller can see of each call, oldest first. */
const calls = async () =>
  (
    await sql<Record<string, unknown>>`
      select project_id, key_id, primitive, model, input_units::text, output_units::text, unit, tokens_charged::text, latency_ms, status, request_id, created_at
      from usage_records order by created_at, request_id
    `.execute(db)
  ).rows;

describe('usage record groups', () => {
  it('keeps records written before the change, through the migration and back', async () => {
    await migrateTo('0008-usage-records-unchecked');
    await sql`
      insert into usage_records (project_id, key_id, primitive, model, input_units, output_units, unit, tokens_charged, latency_ms, status, request_id, created_at)
      values ('proj_a', 'key_a', 'chat.completions', 'fake:echo', 12, 34, 'token', 0.000051, 7, 'succeeded', 'req_1', '2026-01-01T00:00:01Z'),
             ('proj_a', 'key_b', 'images', null, 1, 0, 'image', 9007.199254740993, 1200, 'failed', 'req_2', '2026-01-01T00:00:02Z')
    `.execute(db);
    const before = await calls();
    await migrateTo('latest');
    expect(await calls()).toEqual(before);
    expect((await listRecentUsage(db, 'proj_a', 5)).map((record) => record.request_id)).toEqual(['req_2', 'req_1']);
    await migrateTo('0008-usage-records-unchecked');
    expect(await calls()).toEqual(before);
    await migrateTo('latest');
    expect(await calls()).toEqual(before);
  });

  it('writes a group as one row and reads it back a call at a time, newest first, whatever its text holds', async () => {
    await migrateTo('latest');
    const { id: projectId } = await insertProject(db, 'groups');
    const batch = new UsageBatch<string>();
    // Texts that mean something in an array literal (quotes, backslashes, commas, braces, NULL)
    // come back as they went in; units that are not whole count as the next whole unit.
    const awkward = ['req_"quoted"', 'req_back\\slash', 'req_a,b', 'req_{x}', 'NULL', 'req plain'];
    awkward.forEach((requestId, index) =>
      batch.add(
        { projectId, keyId: 'key_b', primitive: 'chat.completions', model: 'fake:echo', inputUnits: index + 0.5, outputUnits: -1, unit: 'token', estimated: false, charged: BigInt(index), latencyMs: index, status: 'succeeded', requestId },
        null,
        undefined,
      ),
    );
    await recordCharges(db, batch.groups());
    const groups = await db.selectFrom('usage_record_groups').select(['request_id']).where('project_id', '=', projectId).execute();
    expect(groups).toEqual([{ request_id: awkward }]);
    const recent = await listRecentUsage(db, projectId, 4);
    expect(recent.map((record) => [record.request_id, record.input_units, record.output_units, record.tokens_charged, record.position])).toEqual([
      ['req plain', '6', '0', '0.000000000005', '6'],
      ['NULL', '5', '0', '0.000000000004', '5'],
      ['req_{x}', '4', '0', '0.000000000003', '4'],
      ['req_a,b', '3', '0', '0.000000000002', '3'],
    ]);
  });

  it("keeps a group's calls in order when a later batch of the same group is taken into it, large charges and awkward ids included", async () => {
    await migrateTo('latest');
    const { id: projectId } = await insertProject(db, 'absorbed');
    const call = (index: number, requestId: string, charged: bigint) => ({
      projectId, keyId: 'key_c', primitive: 'chat.completions', model: 'fake:echo', inputUnits: index, outputUnits: index * 2, unit: 'token', estimated: false,
      charged, latencyMs: index * 3, status: index % 2 ? 'failed' : 'succeeded', requestId,
    });
    const earlier = new UsageBatch<string>();
    // A hundred calls in the earlier batch, two more appended to the same group from the later one.
    for (let index = 0; index < 100; index++) earlier.add(call(index, `req_${index}`, BigInt(index)), null, undefined);
    const later = new UsageBatch<string>();
    later.add(call(100, 'req_"late"', 2n ** 60n + 7n), null, undefined);
    later.add(call(101, 'req_\\ünïcode', 5n), null, undefined);
    await recordCharges(db, earlier.absorb(later).groups());
    const [group] = await db.selectFrom('usage_record_groups').selectAll().where('project_id', '=', projectId).execute();
    const ids = [...Array.from({ length: 100 }, (_, index) => `req_${index}`), 'req_"late"', 'req_\\ünïcode'];
    expect(group?.request_id).toEqual(ids);
    expect(group?.input_units.map(String)).toEqual(ids.map((_, index) => String(index)));
    expect(group?.output_units.map(String)).toEqual(ids.map((_, index) => String(index * 2)));
    expect(group?.latency_ms).toEqual(ids.map((_, index) => index * 3));
    expect(group?.status).toEqual(ids.map((_, index) => (index % 2 ? 'failed' : 'succeeded')));
    // As text: the driver reads numeric arrays into doubles.
    const charged = await sql<{ charged: string[] }>`select charged_picotokens::text[] as charged from usage_record_groups where id = ${group!.id}`.execute(db);
    expect(charged.rows[0]?.charged).toEqual([...Array.from({ length: 100 }, (_, index) => String(index)), String(2n ** 60n + 7n), '5']);
  });
});

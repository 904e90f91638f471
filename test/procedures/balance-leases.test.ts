import Big from 'big.js';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import { findBalance, insertGrant, sumLedger } from '../../schema/db/queries/ledger.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { recordCharges } from '../../schema/db/queries/balance-leases.ts';
import { UsageBatch } from '../../accounts/ledger/usage-batch.ts';
import { BalanceLedger } from '../../accounts/ledger/balance-ledger.ts';
import pino from 'pino';
import { migrateToLatest } from '../../schema/db/migrate.ts';
import { DatabaseReachability } from '../../schema/db/reachability.ts';
import type { Database } from '../../schema/db/types.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { bearer } from '../helpers/test-server.ts';

/**
 * The ledger's balance leases across real processes on one database: each replica spends a
 * slice of the balance in memory, and the project's money stays whole however they stop.
 */
let fake: FakeOpenAi;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let upstreams: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  database = await createTestDatabase();
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
  upstreams = JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [{ id: 'echo', input_per_million: '1000', output_per_million: '2000' }] }]);
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
  await fake?.close();
});

const startReplica = () => startChildServer({ DATABASE_URL: database.url, OPENAI_COMPAT_UPSTREAMS: upstreams, LEDGER_IDLE_RETURN_MS: '60000' });

async function fundedKey(grant: string) {
  const project = await insertProject(db, `leases-${Date.now()}`);
  await insertGrant(db, { projectId: project.id, amount: grant });
  const issued = await issueApiKey(db, { projectId: project.id, name: 'leases', scopes: ['ai:read', 'ai:generate'] });
  return { projectId: project.id, secret: issued.secret };
}

function chat(replica: ChildServer, secret: string) {
  return fetch(`${replica.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake:echo', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 50 }),
  });
}

async function recordedCharges(projectId: string): Promise<{ calls: number; charged: Big }> {
  const row = await sql<{ calls: string; charged: string }>`
    select count(*)::text as calls, coalesce(sum(tokens_charged), 0)::text as charged from usage_records where project_id = ${projectId}
  `.execute(db);
  return { calls: Number(row.rows[0]!.calls), charged: new Big(row.rows[0]!.charged) };
}

async function openLeases(projectId: string) {
  return db.selectFrom('balance_leases').selectAll().where('project_id', '=', projectId).where('closed_at', 'is', null).execute();
}

/** Balance = grant − every recorded charge, and the ledger's own sum says the same. */
async function expectWhole(projectId: string, grant: string) {
  const { charged } = await recordedCharges(projectId);
  const balance = await findBalance(db, projectId);
  expect(new Big(balance).eq(new Big(grant).minus(charged)), `balance ${balance}, grant ${grant}, charged ${charged}`).toBe(true);
  expect(new Big(await sumLedger(db, projectId)).eq(balance)).toBe(true);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let poll = 0; poll < 200 && !done(value); poll++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

describe('balance leases', () => {
  it('two replicas spending one balance concurrently charge exactly what was used, and give the rest back on shutdown', async () => {
    // Enough for all 60 calls' reservations at once (each reserves its most possible cost).
    const grant = '50';
    const replicas = [await startReplica(), await startReplica()];
    let projectId = '';
    try {
      const funded = await fundedKey(grant);
      projectId = funded.projectId;
      const secret = funded.secret;
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, index) => chat(replicas[index % 2]!, secret).then((response) => response.status)));
      expect(statuses.every((status) => status === 200)).toBe(true);
      // Both replicas hold a slice while they run.
      expect(new Set((await openLeases(projectId)).map((lease) => lease.holder)).size).toBe(2);
      await waitFor(() => recordedCharges(projectId), (charges) => charges.calls === 60);
      await expectWhole(projectId, grant);
    } finally {
      for (const replica of replicas) expect(await replica.stop()).toBe(0);
    }
    expect(await openLeases(projectId)).toEqual([]);
    const unleased = await db.selectFrom('project_balances').select('balance').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(new Big(unleased.balance).eq(await findBalance(db, projectId))).toBe(true);
    await expectWhole(projectId, grant);
    expect((await recordedCharges(projectId)).charged.eq(new Big('0.013').times(60))).toBe(true);
  }, 90_000);

  it('a replica killed with SIGKILL while holding a lease: the next one reclaims it, nothing lost, nothing spent twice', async () => {
    const grant = '3';
    const doomed = await startReplica();
    let survivor: ChildServer | undefined;
    let projectId = '';
    try {
      const funded = await fundedKey(grant);
      projectId = funded.projectId;
      const secret = funded.secret;
      for (let call = 0; call < 5; call++) expect((await chat(doomed, secret)).status).toBe(200);
      await waitFor(() => recordedCharges(projectId), (charges) => charges.calls === 5);
      const held = await openLeases(projectId);
      expect(held).toHaveLength(1);
      expect(new Big(held[0]!.amount).gt(held[0]!.spent)).toBe(true);

      doomed.child.kill('SIGKILL');
      await new Promise((resolve) => doomed.child.once('exit', resolve));
      // The dead process's slice is still counted as the project's until someone reclaims it.
      await expectWhole(projectId, grant);

      survivor = await startReplica();
      const reclaimed = await waitFor(() => openLeases(projectId), (leases) => leases.every((lease) => lease.holder !== held[0]!.holder));
      expect(reclaimed.filter((lease) => lease.holder === held[0]!.holder)).toEqual([]);
      await expectWhole(projectId, grant);

      expect((await chat(survivor, secret)).status).toBe(200);
      await waitFor(() => recordedCharges(projectId), (charges) => charges.calls === 6);
      await expectWhole(projectId, grant);
      expect((await recordedCharges(projectId)).charged.eq(new Big('0.013').times(6))).toBe(true);
    } finally {
      doomed.child.kill('SIGKILL');
      await survivor?.stop();
    }
    await expectWhole(projectId, grant);
  }, 90_000);

  it('writes a large batch of charges in one statement: every record, exact totals for the lease and the key', async () => {
    await migrateToLatest(db as Kysely<unknown>);
    const project = await insertProject(db, `batch-${Date.now()}`);
    await insertGrant(db, { projectId: project.id, amount: '100' });
    const { key } = await issueApiKey(db, { projectId: project.id, name: 'batch', scopes: ['ai:generate'] });
    const [projectId, keyId] = [project.id, key.id];
    await db.insertInto('balance_leases').values({ id: 'lease-batch', project_id: projectId, holder: 'test', amount: '10' }).execute();
    await sql`update project_balances set balance = balance - 10 where project_id = ${projectId}`.execute(db);
    const usage = (index: number) => ({
      projectId,
      keyId,
      // Nearly all in one group: writing a group must stay linear in its size.
      primitive: index % 1000 ? 'chat.completions' : 'embeddings',
      model: index % 1000 ? 'fake:echo' : null,
      inputUnits: index,
      outputUnits: 1,
      unit: 'token',
      estimated: false,
      charged: 3n,
      latencyMs: 1,
      status: 'succeeded',
      requestId: `req_${index}`,
    });
    // Thousands of rows in one write, as a busy process flushes them after a slow write.
    const batch = new UsageBatch<string>();
    for (let index = 0; index < 5000; index++) batch.add(usage(index), 'lease-batch', 'lease-batch');
    // A later batch taken into it (as after a failed write), with a charge a double cannot hold exactly.
    const later = new UsageBatch<string>();
    later.add({ ...usage(5000), requestId: 'req_large', charged: 2n ** 53n + 1n }, null, undefined);
    await recordCharges(db, batch.absorb(later).groups());
    const recorded = await sql<{ rows: string; inputs: string; charged: string }>`
      select count(*)::text as rows, sum(input_units)::text as inputs, sum(tokens_charged)::text as charged from usage_records where project_id = ${projectId} and request_id <> 'req_large'
    `.execute(db);
    expect(recorded.rows[0]).toEqual({ rows: '5000', inputs: String((4999 * 5000) / 2), charged: '0.000000015000' });
    const large = await db.selectFrom('usage_records').select(['tokens_charged', 'input_units']).where('request_id', '=', 'req_large').executeTakeFirstOrThrow();
    expect(large).toEqual({ tokens_charged: '9007.199254740993', input_units: '5000' });
    const lease = await db.selectFrom('balance_leases').select('spent').where('id', '=', 'lease-batch').executeTakeFirstOrThrow();
    expect(lease.spent).toBe('0.000000015000');
    expect(await findBalance(db, projectId)).toBe('99.999999985000');
  });
  it('takes charges against leases closed meanwhile from the unleased balance, and the rest from their open leases', async () => {
    await migrateToLatest(db as Kysely<unknown>);
    const project = await insertProject(db, `closed-${Date.now()}`);
    await insertGrant(db, { projectId: project.id, amount: '100' });
    const { key } = await issueApiKey(db, { projectId: project.id, name: 'closed', scopes: ['ai:generate'] });
    // Two leases of 10 each, one reclaimed since (its unspent 10 went back): the balance is 90.
    await db
      .insertInto('balance_leases')
      .values([
        { id: 'lease-open', project_id: project.id, holder: 'test', amount: '10' },
        { id: 'lease-closed-a', project_id: project.id, holder: 'test', amount: '0', closed_at: new Date() },
        { id: 'lease-closed-b', project_id: project.id, holder: 'test', amount: '0', closed_at: new Date() },
      ])
      .execute();
    await sql`update project_balances set balance = balance - 10 where project_id = ${project.id}`.execute(db);
    const call = (requestId: string) => ({ projectId: project.id, keyId: key.id, primitive: 'chat.completions', model: 'fake:echo', inputUnits: 1, outputUnits: 1, unit: 'token', estimated: false, charged: 1_000_000_000_000n, latencyMs: 1, status: 'succeeded', requestId });
    const batch = new UsageBatch<string>();
    batch.add(call('req_open'), 'lease-open', 'lease-open');
    batch.add(call('req_closed_a'), 'lease-closed-a', 'lease-closed-a');
    batch.add(call('req_closed_b'), 'lease-closed-b', 'lease-closed-b');
    await recordCharges(db, batch.groups());
    const leases = await db.selectFrom('balance_leases').select(['id', 'spent']).where('project_id', '=', project.id).orderBy('id').execute();
    expect(leases).toEqual([
      { id: 'lease-closed-a', spent: '0.000000000000' },
      { id: 'lease-closed-b', spent: '0.000000000000' },
      { id: 'lease-open', spent: '1.000000000000' },
    ]);
    // Unleased 90 less the two closed leases' charges; the open lease holds 10 - 1.
    expect(await findBalance(db, project.id)).toBe('97.000000000000');
    expect(await sumLedger(db, project.id)).toBe('97.000000000000');
  });
  it('keeps a batch whose write failed and writes it whole with the next one: nothing lost, nothing charged twice', async () => {
    await migrateToLatest(db as Kysely<unknown>);
    const project = await insertProject(db, `retry-${Date.now()}`);
    await insertGrant(db, { projectId: project.id, amount: '10' });
    const { key } = await issueApiKey(db, { projectId: project.id, name: 'retry', scopes: ['ai:generate'] });
    const logger = pino({ level: 'silent' });
    const ledger = new BalanceLedger({
      db,
      reachability: new DatabaseReachability({ connectionString: database.url, logger }),
      logger,
      leaseFraction: 0.5,
      // After a failed write, retried only when flushed here.
      flushIntervalMs: 60_000,
      idleReturnMs: 60_000,
      reclaimIntervalMs: 60_000,
    });
    await ledger.start();
    const usage = (requestId: string, charged: bigint) => ({
      projectId: project.id,
      keyId: key.id,
      primitive: 'chat.completions',
      model: 'fake:echo',
      inputUnits: 3,
      outputUnits: 2,
      unit: 'token',
      estimated: false,
      charged,
      latencyMs: 1,
      status: 'succeeded',
      requestId,
    });
    const recorded = async () =>
      (await db.selectFrom('usage_records').select(['request_id', 'tokens_charged']).where('project_id', '=', project.id).orderBy('request_id').execute()).map(
        (row) => [row.request_id, row.tokens_charged],
      );
    // While this constraint stands, every write of a batch holding req_first fails, as a database error would.
    await sql`alter table usage_record_groups add constraint refuse_first check (not ('req_first' = any (request_id)))`.execute(db);
    try {
      (await ledger.reserve(project.id, 2_000_000_000_000n)).settle(usage('req_first', 1_500_000_000_000n));
      await ledger.flush();
      (await ledger.reserve(project.id, 1_000_000_000_000n)).settle(usage('req_second', 250_000_000_000n));
      await ledger.flush();
      expect(await recorded()).toEqual([]);
    } finally {
      await sql`alter table usage_record_groups drop constraint refuse_first`.execute(db);
    }
    await ledger.flush();
    expect(await recorded()).toEqual([
      ['req_first', '1.500000000000'],
      ['req_second', '0.250000000000'],
    ]);
    await ledger.close();
    expect(await findBalance(db, project.id)).toBe('8.250000000000');
    expect(await sumLedger(db, project.id)).toBe('8.250000000000');
  });
});

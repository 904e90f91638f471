import Big from 'big.js';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import { setApiKeyLimits } from '../../schema/db/queries/api-keys.ts';
import { findBalance, insertGrant, sumLedger } from '../../schema/db/queries/ledger.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import type { Database } from '../../schema/db/types.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { bearer } from '../helpers/test-server.ts';

/** CLUSTER_WORKERS=2: two server processes on one port, each a replica with its own leases. */
let fake: FakeOpenAi;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let server: ChildServer;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  database = await createTestDatabase();
  server = await startChildServer({
    DATABASE_URL: database.url,
    CLUSTER_WORKERS: '2',
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [{ id: 'echo', input_per_million: '1000', output_per_million: '2000' }] }]),
  });
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
}, 60_000);
afterAll(async () => {
  await db?.destroy();
  await server?.stop();
  await database?.drop();
  await fake?.close();
});

async function key(grant: string, requestsPerMinute?: number) {
  const project = await insertProject(db, `cluster-${Date.now()}`);
  await insertGrant(db, { projectId: project.id, amount: grant });
  const issued = await issueApiKey(db, { projectId: project.id, name: 'cluster', scopes: ['ai:read', 'ai:generate'] });
  if (requestsPerMinute) await setApiKeyLimits(db, issued.key.id, { requestsPerMinute });
  return { projectId: project.id, secret: issued.secret };
}

describe('one port, two server processes', () => {
  it('shares one requests-per-minute budget exactly', async () => {
    const { secret } = await key('1', 10);
    const statuses = await Promise.all(
      Array.from({ length: 16 }, () => fetch(`${server.baseUrl}/v1/models`, { headers: bearer(secret) }).then((response) => response.status)),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });

  it('both processes spend one balance, and every charge is recorded exactly', async () => {
    // Enough for all 40 calls' reservations at once (each reserves its most possible cost).
    const { projectId, secret } = await key('50');
    const call = () =>
      fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(secret), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake:echo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 }),
      }).then((response) => response.status);
    // Fresh connections each, so the kernel spreads them over both processes.
    const statuses = await Promise.all(Array.from({ length: 40 }, call));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const holders = await db.selectFrom('balance_leases').select('holder').distinct().where('project_id', '=', projectId).execute();
    expect(holders.length).toBe(2);
    let balance = await findBalance(db, projectId);
    for (let poll = 0; poll < 100 && !new Big(balance).eq(new Big(50).minus(new Big('0.013').times(40))); poll++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      balance = await findBalance(db, projectId);
    }
    expect(balance).toBe(new Big(50).minus(new Big('0.013').times(40)).toFixed(12));
    expect(await sumLedger(db, projectId)).toBe(balance);
  });
});

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/db/types.ts';
import { setApiKeyLimits } from '../../schema/db/queries/api-keys.ts';
import { findBalance, listRecentUsage } from '../../schema/db/queries/ledger.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { noRedis, testRedisUrl } from '../helpers/paths.ts';

let fake: FakeUpstream;
let server: TestServer;

const upstreams = () =>
  JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [{ id: 'echo', input_per_million: '1000', output_per_million: '2000' }] }]);

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: upstreams() });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

async function limitedKey(target: TestServer, limits: { requestsPerMinute?: number; tokensPerMinute?: number }) {
  const key = await target.createKey();
  await setApiKeyLimits(target.running.services.db, key.keyId, limits);
  return key;
}

describe('requests per minute', () => {
  it('counts down in the OpenAI headers, then answers 429 with Retry-After, on both trees', async () => {
    const key = await limitedKey(server, { requestsPerMinute: 3 });
    const remaining = [];
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(key.secret) });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s|m\d+s)$/);
      remaining.push(response.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(key.secret) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(((await limited.json()) as any).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });

    const native = await fetch(`${server.baseUrl}/infra/ai/models`, { headers: bearer(key.secret) });
    expect(native.status).toBe(429);
    expect(((await native.json()) as any).error.code).toBe('rate_limited');
  });

  it('loses no budget under concurrency: waves of 30 against 600 a minute get exactly 600', async () => {
    const key = await limitedKey(server, { requestsPerMinute: 600 });
    const statuses: number[] = [];
    for (let wave = 0; wave < 22; wave++) {
      statuses.push(...(await Promise.all(Array.from({ length: 30 }, () => fetch(`${server.baseUrl}/v1/models`, { headers: bearer(key.secret) }).then((response) => response.status)))));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(600);
    expect(statuses.filter((status) => status === 429)).toHaveLength(60);
  }, 60_000);

  it('tRPC answers carry the same limit headers', async () => {
    const key = await limitedKey(server, { requestsPerMinute: 5 });
    const response = await fetch(`${server.baseUrl}/trpc/infra.ai.models.list?input=${encodeURIComponent('{}')}`, { headers: bearer(key.secret) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('4');
  });

  it('applies to streams and raw routes too, which carry the headers', async () => {
    const key = await limitedKey(server, { requestsPerMinute: 1 });
    const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(key.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake:echo', messages: [{ role: 'user', content: 'x' }], max_tokens: 20, stream: true }),
    });
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).not.toBeNull();
    await response.text();
    const second = await fetch(`${server.baseUrl}/infra/storage/buckets/sb_x/objects/a.txt`, { headers: bearer(key.secret) });
    expect(second.status).toBe(429);
  });
});

describe('tokens per minute', () => {
  it('refuses a request whose tokens would exceed the budget, and it costs nothing', async () => {
    const key = await limitedKey(server, { tokensPerMinute: 200 });
    const send = (maxTokens: number) =>
      fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(key.secret), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake:echo', messages: [{ role: 'user', content: 'hello' }], max_tokens: maxTokens }),
      });
    // More than the whole minute's budget can never pass: a 400 naming the field to lower.
    const never = await send(500);
    expect(never.status).toBe(400);
    expect(((await never.json()) as any).error).toMatchObject({ param: 'max_tokens', message: expect.stringMatching(/^max_tokens: .* can never run/) });

    const fits = await send(150);
    expect(fits.status).toBe(200);
    // Counted up front by estimate, then trued up to the real 10 tokens.
    const left = Number(fits.headers.get('x-ratelimit-remaining-tokens'));
    expect(left).toBeLessThan(200);

    // Fits the budget but not what is left of it this minute: 429, and it costs nothing.
    // (The call that fit settles after its answer: wait for its usage record first.)
    let usage = await listRecentUsage(server.running.services.db, key.projectId, 5);
    for (let poll = 0; poll < 100 && usage.length === 0; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      usage = await listRecentUsage(server.running.services.db, key.projectId, 5);
    }
    const balance = await findBalance(server.running.services.db, key.projectId);
    const tooBig = await send(190);
    expect(tooBig.status).toBe(429);
    expect(tooBig.headers.get('x-ratelimit-limit-tokens')).toBe('200');
    expect(((await tooBig.json()) as any).error.message).toMatch(/tokens/);
    expect(await findBalance(server.running.services.db, key.projectId)).toBe(balance);
    expect(await listRecentUsage(server.running.services.db, key.projectId, 5)).toHaveLength(usage.length);
  });
});

describe('shared stores', () => {
  it.skipIf(!testRedisUrl)(`enforce one limit in Redis when REDIS_URL is set${noRedis}`, async () => {
    const redisServer = await startTestServer({ REDIS_URL: testRedisUrl! });
    try {
      const key = await limitedKey(redisServer, { requestsPerMinute: 2 });
      const statuses = [];
      for (let index = 0; index < 3; index++) statuses.push((await fetch(`${redisServer.baseUrl}/v1/models`, { headers: bearer(key.secret) })).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await redisServer.close();
    }
  });

  it('enforce one limit across two server processes on one database', async () => {
    const database = await createTestDatabase();
    const servers: ChildServer[] = [];
    try {
      servers.push(await startChildServer({ DATABASE_URL: database.url }));
      servers.push(await startChildServer({ DATABASE_URL: database.url }));
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
      const project = await insertProject(db, 'replicas');
      const issued = await issueApiKey(db, { projectId: project.id, name: 'replicas', scopes: ['ai:read'] });
      await setApiKeyLimits(db, issued.key.id, { requestsPerMinute: 10 });
      await db.destroy();

      const statuses = await Promise.all(
        Array.from({ length: 16 }, (_, index) => fetch(`${servers[index % 2]!.baseUrl}/v1/models`, { headers: bearer(issued.secret) }).then((response) => response.status)),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(6);
    } finally {
      for (const child of servers) await child.stop();
      await database.drop();
    }
  }, 60_000);
});

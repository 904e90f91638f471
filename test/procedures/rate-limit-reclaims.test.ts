import { DatabaseReachability } from '../../schema/db/reachability.ts';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../../accounts/rate-limits.ts';
import type { RateLimitLeaseStore } from '../../accounts/rate-limit-lease-store.ts';
import { postgresLeaseStore } from '../../accounts/rate-limit-store-postgres.ts';
import { redisLeaseStore } from '../../accounts/rate-limit-store-redis.ts';
import { migrateToLatest } from '../../schema/db/migrate.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { noRedis, testRedisUrl } from '../helpers/paths.ts';

/**
 * Two limiters on one store stand for two processes: points one holds and does not spend are
 * given back when the other would be refused, a holder that does not answer is forgotten, and
 * both stores keep the same window.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let redis: Redis;
const logger = pino({ level: 'silent' });
const opened: RateLimitLeaseStore[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 4 }) }) });
  await migrateToLatest(db as Kysely<unknown>);
  if (testRedisUrl) redis = new Redis(testRedisUrl);
});
afterAll(async () => {
  for (const store of opened) await store.close();
  await redis?.quit();
  await db?.destroy();
  await database?.drop();
});

const stores = [
  ['Postgres', () => postgresLeaseStore({ db, reachability: new DatabaseReachability({ connectionString: database.url, logger }), logger })],
  ['Redis', () => redisLeaseStore(redis, logger)],
] as const;

async function open(make: () => Promise<RateLimitLeaseStore>): Promise<RateLimitLeaseStore> {
  const store = await make();
  opened.push(store);
  return store;
}

async function countOutcomes(calls: Promise<unknown>[]): Promise<{ served: number; refused: number }> {
  const outcomes = await Promise.allSettled(calls);
  const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
  for (const outcome of refused) expect(outcome.reason).toMatchObject({ name: 'AccountError', code: 'rate_limited' });
  return { served: outcomes.length - refused.length, refused: refused.length };
}

describe.each(stores.filter(([name]) => name !== 'Redis' || testRedisUrl))('reclaims in %s', (_name, make) => {
  it('gives back what another holder left unspent before a call inside the budget is refused', async () => {
    // Answers come in milliseconds; a loaded machine must not turn a slow one into a forgotten one.
    const first = new RateLimits(await open(make), 60, { reclaimTimeoutMs: 10_000 });
    const second = new RateLimits(await open(make), 60, { reclaimTimeoutMs: 10_000 });
    const keyId = `reclaim-${randomUUID()}`;
    // A lease of 2 at 100 a minute: one spent, one left here.
    await first.consume('requests', keyId, 100, 1);
    const burst = await countOutcomes(Array.from({ length: 120 }, () => second.consume('requests', keyId, 100, 1)));
    expect(burst).toEqual({ served: 99, refused: 21 });
    // The point the first held went to the second: the first has none left either.
    await expect(first.consume('requests', keyId, 100, 1)).rejects.toMatchObject({ name: 'AccountError', code: 'rate_limited' });
  });

  it('forgets a holder that does not answer (a dead process): its points stay counted, nobody waits on it again', async () => {
    const doomedStore = await open(make);
    const doomed = new RateLimits(doomedStore, 60, { reclaimTimeoutMs: 200 });
    const store = await open(make);
    const survivor = new RateLimits(store, 60, { reclaimTimeoutMs: 200 });
    const keyId = `dead-${randomUUID()}`;
    await doomed.consume('requests', keyId, 100, 1);
    // It stops hearing the channel, as a killed process would, holding its unspent point.
    await doomedStore.close();
    const burst = await countOutcomes(Array.from({ length: 120 }, () => survivor.consume('requests', keyId, 100, 1)));
    expect(burst).toEqual({ served: 98, refused: 22 });
    const take = await store.take(randomUUID(), { key: `rl_requests:${keyId}`, limit: 100, need: 1, demand: 1, want: 0, windowMs: 60_000 });
    expect(take).toMatchObject({ granted: 0, consumed: 100, holding: [] });
  });

  it('sends tokens a call did not use back to the store when the lease holds no surplus, for any process', async () => {
    const first = new RateLimits(await open(make));
    const second = new RateLimits(await open(make));
    const keyId = `tokens-${randomUUID()}`;
    // 40 a minute leases nothing beyond what calls take.
    const counted = await first.consume('tokens', keyId, 40, 30);
    counted.giveBack(25);
    let served: unknown;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      served = await second.consume('tokens', keyId, 40, 35).catch(() => new Promise((resolve) => setTimeout(resolve, 20)).then(() => undefined));
    }
    expect(served).toMatchObject({ limit: 40, remaining: 0 });
  });
});

describe.skipIf(!testRedisUrl)(`both stores keep the same window${noRedis}`, () => {
  async function script(store: RateLimitLeaseStore) {
    const key = `rl_requests:contract-${randomUUID()}`;
    const [first, second, third] = ['h1', 'h2', 'h3'].map((name) => `${name}-${randomUUID()}`) as [string, string, string];
    const names = new Map([
      [first, 'h1'],
      [second, 'h2'],
      [third, 'h3'],
    ]);
    const steps: unknown[] = [];
    const take = async (holder: string, need: number, demand: number, want: number) => {
      const result = await store.take(holder, { key, limit: 100, need, demand, want, windowMs: 60_000 });
      steps.push({ granted: result.granted, surplus: result.surplus, consumed: result.consumed, holding: result.holding.map((id) => names.get(id)).sort() });
      return result;
    };
    const opening = await take(first, 1, 1, 2);
    await take(second, 1, 5, 2);
    await take(second, 0, 0, 30);
    await take(first, 80, 80, 2);
    await take(first, 0, 0, 10);
    await store.giveBack({ key, windowEnd: opening.windowEnd, holder: second, points: 20, settled: 23, message: '{}' });
    await take(first, 60, 60, 2);
    await take(third, 31, 31, 0);
    await store.forget({ key, windowEnd: opening.windowEnd, holders: [first] });
    await take(third, 31, 31, 0);
    return steps;
  }

  it('answers the same takes, give-backs and forgets alike, as the migration documents them', async () => {
    const [postgres, redisSteps] = [await script(await open(stores[0][1])), await script(await open(stores[1][1]))];
    expect(redisSteps).toEqual(postgres);
    expect(postgres).toEqual([
      // A lease of 2 for a call of 1: a surplus of 1.
      { granted: 2, surplus: 1, consumed: 2, holding: [] },
      // Five calls waiting get five, and no more: two holders, so a share is 98 / 4 = 24 > 2.
      { granted: 5, surplus: 0, consumed: 7, holding: [] },
      // Ahead of need: up to a share of what is left, 93 / 4 = 23.
      { granted: 23, surplus: 23, consumed: 30, holding: [] },
      // 80 needed, 70 left: refused, naming the holders whose surplus may be unspent.
      { granted: 0, surplus: 0, consumed: 30, holding: ['h2'] },
      // After a refusal, nothing is leased beyond what calls spend.
      { granted: 0, surplus: 0, consumed: 30, holding: [] },
      // h2 gave 20 back: 60 for the waiting calls, exactly.
      { granted: 60, surplus: 0, consumed: 70, holding: [] },
      { granted: 0, surplus: 0, consumed: 70, holding: ['h1'] },
      // h1 forgotten: nobody left to ask.
      { granted: 0, surplus: 0, consumed: 70, holding: [] },
    ]);
  });
});

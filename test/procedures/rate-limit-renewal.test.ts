import { DatabaseReachability } from '../../schema/db/reachability.ts';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../../accounts/rate-limits.ts';
import { postgresLeaseStore } from '../../accounts/rate-limit-store-postgres.ts';
import { redisLeaseStore } from '../../accounts/rate-limit-store-redis.ts';
import { migrateToLatest } from '../../schema/db/migrate.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { testRedisUrl } from '../helpers/paths.ts';

/**
 * A busy key's rate-limit lease is renewed from a timer when its window ends, so its next call
 * does not wait for the shared store; a quiet key takes nothing ahead. Windows of one second
 * here (a minute in service), unless a test needs a minute's lease to stay.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let hotPathDb: Kysely<Database>;
let redis: Redis;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
  await migrateToLatest(db);
  await db.destroy();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  hotPathDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (testRedisUrl) redis = new Redis(testRedisUrl);
});
afterAll(async () => {
  await redis?.quit();
  await hotPathDb?.destroy();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(
  (
    [
      ['Postgres', () => postgresLeaseStore({ db: hotPathDb, reachability: new DatabaseReachability({ connectionString: database.url, logger }), logger })],
      ['Redis', () => redisLeaseStore(redis, logger)],
    ] as const
  ).filter(([name]) => name !== 'Redis' || testRedisUrl),
)('rate-limit leases in %s', (_store, store) => {
  it('are renewed when the window ends for a key used late in it, by what it took late', async () => {
    const limits = new RateLimits(await store(), 2);
    const keyId = `busy-${Math.random()}`;
    const first = await limits.consume('requests', keyId, 1000, 1);
    const windowEndsAt = Date.now() + first.resetMs;
    await sleep(windowEndsAt - Date.now() - 100);
    expect(limits.tryConsume('requests', keyId, 1000, 1)).toBeDefined();
    await sleep(windowEndsAt - Date.now() + 400);
    // A new window, and points for it already here: no trip to the store.
    const next = limits.tryConsume('requests', keyId, 1000, 1);
    expect(next).toBeDefined();
    expect(next!.remaining).toBe(999);
    expect(next!.resetMs).toBeGreaterThan(1000);
    await limits.close();
  });

  it('take nothing ahead for a key quiet at the end of its window', async () => {
    const limits = new RateLimits(await store(), 2);
    const keyId = `quiet-${Math.random()}`;
    const first = await limits.consume('requests', keyId, 1000, 1);
    await sleep(first.resetMs + 300);
    expect(limits.tryConsume('requests', keyId, 1000, 1)).toBeUndefined();
    // The store's new window is untouched: the next lease is the first taken from it.
    const counted = await limits.consume('requests', keyId, 1000, 1);
    expect(counted.remaining).toBe(999);
    await limits.close();
  });

  it('take the next lease when half of one is left, before calls need it', async () => {
    const limits = new RateLimits(await store(), 60);
    const keyId = `ahead-${Math.random()}`;
    // Leases of 20 points: 11 taken leaves 9, under half, and a refill starts behind the call.
    await limits.consume('tokens', keyId, 1000, 11);
    await sleep(100);
    const counted = limits.tryConsume('tokens', keyId, 1000, 25);
    expect(counted).toBeDefined();
    expect(counted!.remaining).toBe(1000 - 11 - 25);
    await limits.close();
  });

  it('lease small limits a point at a time, never ahead', async () => {
    const limits = new RateLimits(await store(), 2);
    const other = new RateLimits(await store(), 2);
    const keyId = `small-${Math.random()}`;
    const first = await limits.consume('requests', keyId, 60, 1);
    expect(first.remaining).toBe(59);
    await sleep(first.resetMs + 300);
    // Nothing was taken for the new window: another replica finds all 60.
    expect((await other.consume('requests', keyId, 60, 1)).remaining).toBe(59);
    await limits.close();
    await other.close();
  });

  it('count a refusal per refused request', async () => {
    const limits = new RateLimits(await store(), 1);
    const keyId = `full-${Math.random()}`;
    await limits.consume('requests', keyId, 2, 2);
    const refused = await Promise.allSettled(Array.from({ length: 3 }, () => limits.consume('requests', keyId, 2, 1)));
    expect(refused.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(limits.refusals.requests).toBe(3);
    await limits.close();
  });
});

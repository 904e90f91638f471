import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../accounts/key-store.ts';
import { hashApiKey } from '../../accounts/api-key-material.ts';
import { migrateToLatest } from '../../schema/db/migrate.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

/** The key cache: how many reads of `api_keys` its calls cause, and what it may keep. */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let keyReads = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 4 }) }),
    log: (event) => {
      if (event.level === 'query' && /from "api_keys"/.test(event.query.sql)) keyReads++;
    },
  });
  await migrateToLatest(db as Kysely<unknown>);
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

async function newKey(): Promise<string> {
  const project = await insertProject(db, `key-store-${Math.random()}`);
  return (await issueApiKey(db, { projectId: project.id, name: 'k', scopes: ['ai:read'] })).secret;
}

const storeWith = (ttlMs: number) => new KeyStore({ db, logger: pino({ level: 'silent' }), defaultLimits: { requestsPerMinute: 60, tokensPerMinute: 1000 }, ttlMs });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('API key cache', () => {
  it('answers concurrent calls of a key it does not hold with one read', async () => {
    const key = await newKey();
    const store = storeWith(30_000);
    keyReads = 0;
    const principals = await Promise.all(Array.from({ length: 50 }, () => store.authenticate(key)));
    expect(keyReads).toBe(1);
    expect(new Set(principals.map((principal) => principal?.keyId)).size).toBe(1);
    expect(principals[0]?.scopes.has('ai:read')).toBe(true);
    // Unknown keys share a read too, and are not cached.
    keyReads = 0;
    const unknown = await Promise.all(Array.from({ length: 10 }, () => store.authenticate('sk-not-a-key')));
    expect(unknown.every((principal) => principal === undefined)).toBe(true);
    expect(keyReads).toBe(1);
  });

  it('reads a busy key again before it expires, so no call waits for the database', async () => {
    const key = await newKey();
    const store = storeWith(2000);
    const first = await store.authenticate(key);
    keyReads = 0;
    // In the TTL's last fifth: answered from the cache (the same principal), one read starts behind it.
    await sleep(1700);
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.authenticate(key)));
    expect(answers.every((principal) => principal === first)).toBe(true);
    await sleep(100);
    expect(keyReads).toBe(1);
    // Past the first entry's expiry the entry read ahead answers, without a read.
    await sleep(400);
    keyReads = 0;
    const later = await store.authenticate(key);
    expect(later?.keyId).toBe(first?.keyId);
    expect(later).not.toBe(first);
    expect(keyReads).toBe(0);
  });

  it('keeps nothing from a read that an eviction overtook', async () => {
    const key = await newKey();
    const store = storeWith(30_000);
    const reading = store.authenticate(key);
    // A revocation's eviction arrives while the read runs: the read answers its caller only.
    store.evict(hashApiKey(key));
    expect(await reading).toBeDefined();
    keyReads = 0;
    await store.authenticate(key);
    expect(keyReads).toBe(1);
    keyReads = 0;
    await store.authenticate(key);
    expect(keyReads).toBe(0);
  });

  it('checks a flood of made-up keys a few at a time, refusing what overflows its line, and still knows a real key', async () => {
    const store = storeWith(30_000);
    const madeUp = () => `sk_live_${Array.from({ length: 40 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('')}`;
    keyReads = 0;
    const outcomes = await Promise.allSettled(Array.from({ length: 2000 }, () => store.authenticate(madeUp())));
    const unknown = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === undefined).length;
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected' && /retry shortly/.test(String(outcome.reason))).length;
    expect(unknown + refused).toBe(2000);
    expect(refused).toBeGreaterThan(0);
    expect(keyReads).toBe(unknown);
    const key = await newKey();
    expect(await store.authenticate(key)).toBeDefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/test-database.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { burstAcrossProcesses, createKeyWithRequestLimit, type BurstOutcome } from '../helpers/rate-limit-burst.ts';
import { testRedisUrl } from '../helpers/paths.ts';

/**
 * Issue 25: two API processes, one key, a burst beyond its limit. No request inside the budget may
 * be refused and none beyond it served, with the counters in Postgres and in Redis alike.
 */
const report = (name: string, outcome: BurstOutcome) =>
  console.log(
    `${name}: ${outcome.served} served (${outcome.servedBy.join(' + ')}), ${outcome.refused} refused, ${outcome.other} other, in ${outcome.milliseconds} ms`,
  );

describe.each(
  (
    [
      ['Postgres', {}],
      ['Redis', { REDIS_URL: testRedisUrl ?? '' }],
    ] as const
  ).filter(([name]) => name !== 'Redis' || testRedisUrl),
)('one key across two server processes, counters in %s', (store, environment) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const servers: ChildServer[] = [];
  const baseUrls = () => servers.slice(0, 2).map((server) => server.baseUrl);

  beforeAll(async () => {
    database = await createTestDatabase();
    // The first migrates; then both start at once.
    servers.push(await startChildServer({ DATABASE_URL: database.url, ...environment }));
    servers.push(await startChildServer({ DATABASE_URL: database.url, ...environment }));
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await database?.drop();
  });

  it('serves exactly 100 of 160 concurrent requests at 100 a minute and refuses 60 with 429, Retry-After and the x-ratelimit headers', async () => {
    const key = await createKeyWithRequestLimit(database.url, 100);
    const outcome = await burstAcrossProcesses(baseUrls(), key.secret, 160);
    report(`${store}, 100/min, 160 at once`, outcome);
    expect(outcome).toMatchObject({ served: 100, refused: 60, other: 0, refusalsWithoutHeaders: 0, servedWithoutHeaders: 0 });
  }, 60_000);

  it('is exact where leases are used: at 6,000 a minute, 2,000 requests through one process, then 4,600 through the other', async () => {
    const key = await createKeyWithRequestLimit(database.url, 6000);
    // The first process is left holding a lease (120 points, and the next taken ahead) it will not spend.
    const first = await burstAcrossProcesses(baseUrls().slice(0, 1), key.secret, 2000, { concurrency: 60 });
    const second = await burstAcrossProcesses(baseUrls().slice(1), key.secret, 4600, { concurrency: 120 });
    report(`${store}, 6,000/min, 2,000 through one process`, first);
    report(`${store}, 6,000/min, then 4,600 through the other`, second);
    expect(first).toMatchObject({ served: 2000, refused: 0, other: 0, servedWithoutHeaders: 0 });
    expect(second).toMatchObject({ served: 4000, refused: 600, other: 0, refusalsWithoutHeaders: 0, servedWithoutHeaders: 0 });
  }, 120_000);

  it('never serves more than the limit when a process dies holding a lease; it strands at most what it held', async () => {
    const key = await createKeyWithRequestLimit(database.url, 6000);
    const doomed = await startChildServer({ DATABASE_URL: database.url, ...environment });
    servers.push(doomed);
    const before = await burstAcrossProcesses([doomed.baseUrl], key.secret, 200, { concurrency: 10 });
    expect(before.served).toBe(200);
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));

    const after = await burstAcrossProcesses(baseUrls(), key.secret, 6600, { concurrency: 120 });
    report(`${store}, 6,000/min, 200 served by a process then killed, then 6,600`, after);
    expect(after.other).toBe(0);
    expect(before.served + after.served).toBeLessThanOrEqual(6000);
    // What it held: under half a lease of a fiftieth of the limit and the next one taken ahead.
    expect(before.served + after.served).toBeGreaterThan(6000 - 1.5 * (6000 / 50));
  }, 120_000);
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/free-port.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { countByStatus, type Answer } from '../helpers/mixed-load.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { bearer } from '../helpers/test-server.ts';
import { until } from '../helpers/until.ts';

/**
 * Rate limits counted in Redis (REDIS_URL), and that Redis killed outright, then started again:
 * calls whose count needs Redis answer 503 with Retry-After meanwhile (never a 500, never an
 * exit), all succeed again once it is back, and the log says so once each way. A Redis of the
 * test's own: the shared one is never touched.
 */
let redisPort: number;
let redis: ChildProcess | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: ChildServer;
let key: string;

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  await until(() => output.includes('Ready to accept connections') || child.exitCode !== null, 'redis to start');
  if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
  redis = child;
}

async function killRedis(): Promise<void> {
  const child = redis!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** This test runs a Redis of its own, and kills it: it needs `redis-server` installed. */
const installed = spawnSync('redis-server', ['--version']).status === 0;

beforeAll(async () => {
  if (!installed) return;
  redisPort = await freePort();
  await startRedis();
  database = await createTestDatabase();
  // 1,000 a minute: this process leases 20 at a time from Redis, so a call in 20 needs it.
  server = await startChildServer({ DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT_REQUESTS_PER_MINUTE: '1000' });
  key = (await provisionKey(database.url, 'redis-outage')).secret;
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await database?.drop();
  redis?.kill('SIGKILL');
});

describe.skipIf(!installed)(`the rate-limit store (Redis) going away${installed ? '' : ' (skipped: redis-server is not installed)'}`, () => {
  it('answers 503 with Retry-After while it is away and 2xx once it is back', async () => {
    const answers: Answer[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        const sentAt = Date.now();
        const response = await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(key) }).catch(() => undefined);
        await response?.arrayBuffer();
        answers.push({ kind: 'models', status: response?.status ?? 0, retryAfter: response?.headers.get('retry-after') ?? null, requestId: response?.headers.get('x-request-id') ?? null, sentAt, answeredAt: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const faultAt = Date.now();
    await killRedis();
    // Longer than this process's lease lasts (20 calls) plus ioredis's retries of one command.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await startRedis();
    const backAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 7000));
    running = false;
    await load;

    const during = answers.filter((answer) => answer.sentAt >= faultAt);
    const failed = during.filter((answer) => answer.status !== 200);
    const afterBound = during.filter((answer) => answer.sentAt >= backAt + 5000);
    const lastFailure = failed.length === 0 ? faultAt : Math.max(...failed.map((answer) => answer.answeredAt));
    console.log(`Redis away ${backAt - faultAt} ms; answers by status:`, countByStatus(during), `; last non-2xx ${lastFailure - backAt} ms after Redis was back`);
    expect(server.child.exitCode).toBeNull();
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((answer) => answer.status !== 503 || answer.retryAfter === null)).toEqual([]);
    expect(afterBound.length).toBeGreaterThan(0);
    expect(afterBound.filter((answer) => answer.status !== 200)).toEqual([]);

    const logLines = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logLines.filter((line) => line.msg.startsWith('redis unreachable'))).toHaveLength(1);
    expect(logLines.filter((line) => line.msg === 'redis reachable again')).toHaveLength(1);
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    expect(server.output()).not.toContain('[ioredis]');
  }, 60_000);
});

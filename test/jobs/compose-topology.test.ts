import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeS3 } from '../fakes/fake-s3.ts';
import { startChildServer, startChildWorker, type ChildServer } from '../helpers/child-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { parseMetrics, sumOf } from '../helpers/prometheus.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { noRedis, repoRoot, testRedisUrl } from '../helpers/paths.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { bearer } from '../helpers/test-server.ts';

/**
 * compose.yaml as processes on loopback: its two API services and its worker, each started with
 * the environment compose.yaml gives it, on the machine's real Postgres and Redis; the fake S3
 * stands in for MinIO. Only the addresses change (service names become loopback endpoints).
 */
const redisUrl = testRedisUrl ?? '';
const metricsToken = 'compose-topology-metrics-token';
const requestsPerMinute = 24;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let s3: Awaited<ReturnType<typeof startFakeS3>>;
let redis: Redis;
const apis: ChildServer[] = [];
let worker: ChildServer | undefined;
let key: string;

type ComposeService = { environment: Record<string, string>; command?: string[] };

/** The services of compose.yaml with `${NAME:-default}` filled from `variables`, else the default. */
async function composeServices(variables: Record<string, string>): Promise<Record<string, ComposeService>> {
  const document = parse(await readFile(path.join(repoRoot, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const interpolate = (value: string) => value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => variables[name] ?? fallback);
  for (const service of Object.values(document.services)) {
    service.environment = Object.fromEntries(
      Object.entries(service.environment ?? {})
        .map(([name, value]) => [name, interpolate(String(value))])
        .filter(([, value]) => value !== ''),
    );
  }
  return document.services;
}

beforeAll(async () => {
  [database, s3] = await Promise.all([createTestDatabase(), startFakeS3()]);
  redis = new Redis(redisUrl, { lazyConnect: true });
  const services = await composeServices({ METRICS_TOKEN: metricsToken });
  // Where compose names a service, loopback has the real thing (or the S3 fake).
  const loopback = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3.baseUrl,
    LOCAL_LLAMA_THREADS: '1',
    LOCAL_POOL_THREADS: '1',
    JOBS_SUPERVISE_SECONDS: '1',
    // The test Postgres is shared with every other test file: fewer connections than compose's.
    DATABASE_POOL_SIZE: '3',
  };
  expect(services['worker']!.command).toEqual(['node', 'server/worker-main.ts']);
  for (const api of ['api-1', 'api-2']) expect(services[api]!.environment.RUN_WORKERS).toBe('false');
  // All three start at once, as compose starts them: migrations serialise on an advisory lock.
  const [first, second, started] = await Promise.all([
    startChildServer({ ...services['api-1']!.environment, ...loopback }),
    startChildServer({ ...services['api-2']!.environment, ...loopback }),
    startChildWorker({ ...services['worker']!.environment, ...loopback }),
  ]);
  apis.push(first, second);
  worker = started;
  key = (await provisionKey(database.url, 'compose')).secret;
}, 120_000);

afterAll(async () => {
  for (const child of [...apis, ...(worker ? [worker] : [])]) await child.stop();
  redis?.disconnect();
  await database?.drop();
  await s3?.close();
});

async function call(api: ChildServer, method: string, route: string, body?: object | string, secret = key) {
  const response = await fetch(api.baseUrl + route, {
    method,
    headers: { ...bearer(secret), ...(typeof body === 'object' ? { 'content-type': 'application/json' } : { 'content-type': 'text/plain' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

describe.skipIf(!testRedisUrl)(`the compose topology on loopback: two APIs, one worker, Postgres, Redis, S3${noRedis}`, () => {
  it('serves generation, storage and async operations through either API, with results in S3', async () => {
    const [first, second] = apis as [ChildServer, ChildServer];
    for (const api of apis) expect((await fetch(`${api.baseUrl}/readyz`)).status).toBe(200);

    // The default model answers on both replicas.
    for (const api of apis) {
      const answer = await call(api, 'POST', '/infra/ai/responses', { input: 'Once upon a time', max_output_tokens: 8, temperature: 0 });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json().data.output_text).toMatch(/^, there was/);
    }

    // An object written through one API is read through the other: both use the S3 bucket.
    const bucket = (await call(first, 'POST', '/infra/storage/buckets', { name: 'compose' })).json().data.id as string;
    expect((await call(second, 'PUT', `/infra/storage/buckets/${bucket}/objects/notes/a.txt`, 'kept in S3')).status).toBe(200);
    expect(s3.objects.get(`/ai-primitives/${bucket}/notes/a.txt`)?.toString()).toBe('kept in S3');
    expect((await call(first, 'GET', `/infra/storage/buckets/${bucket}/objects/notes/a.txt`)).text).toBe('kept in S3');

    // The APIs run no workers: the worker process runs what either accepts.
    const accepted = await Promise.all([
      call(first, 'POST', '/infra/ai/responses', { input: 'Once upon a time', max_output_tokens: 6, temperature: 0, async: true }),
      call(second, 'POST', '/infra/ai/documents/parse', {
        file: { data: Buffer.from('# Queued\n\nParsed by the worker.').toString('base64'), content_type: 'text/markdown' },
        async: true,
        result_destination: { bucket_id: bucket, key: 'parsed/queued.json' },
      }),
    ]);
    for (const answer of accepted) expect(answer.status, answer.text).toBe(202);
    const [generated, parsed] = await Promise.all(
      accepted.map((answer, index) => waitForOperation(apis[1 - index]!.baseUrl, key, answer.json().data.id, ['succeeded', 'failed'], 100)),
    );
    expect(generated!.status, JSON.stringify(generated!.error)).toBe('succeeded');
    expect(generated!.result.output_text).toMatch(/^, there was/);
    expect(parsed!.status, JSON.stringify(parsed!.error)).toBe('succeeded');
    expect(parsed!.result_destination).toMatchObject({ bucket_id: bucket, key: 'parsed/queued.json' });
    expect(JSON.parse(s3.objects.get(`/ai-primitives/${bucket}/parsed/queued.json`)!.toString()).metadata.title).toBe('Queued');
  }, 60_000);

  it('counts one rate limit across both APIs, in Redis', async () => {
    const limited = await provisionKey(database.url, 'limited', { requestsPerMinute });
    const statuses: number[] = [];
    for (let index = 0; index <= requestsPerMinute; index++) {
      statuses.push((await call(apis[index % 2]!, 'GET', '/v1/models', undefined, limited.secret)).status);
    }
    // Each API saw about half of the requests; only their shared count refuses the last one.
    expect(statuses.slice(0, requestsPerMinute).every((status) => status === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    await redis.connect();
    expect(await redis.exists(`rl_requests:${limited.keyId}`)).toBe(1);
  });

  it('exposes each replica\'s metrics behind the metrics token, with the shared queue', async () => {
    for (const api of apis) {
      expect((await fetch(`${api.baseUrl}/metrics`)).status).toBe(401);
      const samples = parseMetrics(await (await fetch(`${api.baseUrl}/metrics`, { headers: bearer(metricsToken) })).text());
      expect(sumOf(samples, 'ai_http_requests_total', { tree: 'infra', route: '/infra/ai/responses', status: '200' })).toBe(1);
      expect(sumOf(samples, 'ai_http_requests_total', { tree: 'v1', route: '/v1/models' })).toBeGreaterThanOrEqual(12);
      expect(samples.filter((sample) => sample.name === 'ai_operation_jobs' && sample.labels.queue === 'ai-operations').map((sample) => sample.labels.state).sort()).toEqual(['active', 'created', 'retry']);
      // The APIs ran no operations: the worker did.
      expect(sumOf(samples, 'ai_operations_finished_total')).toBe(0);
    }
  }, 30_000);
});

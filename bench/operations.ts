import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { benchDatabaseUrl, createBenchKey, startBenchServer, startBenchWorker, type BenchServer } from './bench-server.ts';
import { percentile, runPacedLoad, type PacedResult } from './paced-load.ts';

/** Sends `count` requests with at most `concurrency` in flight; returns the bodies. */
async function sendAll(count: number, concurrency: number, send: (index: number) => Promise<unknown>): Promise<unknown[]> {
  const bodies: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) bodies.push(await send(next++));
    }),
  );
  return bodies;
}

/** Records when each operation's webhook event arrives, by operation id; answers 200. */
async function startWebhookReceiver(): Promise<{ url: string; arrivals: Map<string, number>; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      arrivals.set((JSON.parse(body) as { data: { id: string } }).data.id, Date.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, arrivals, close: () => new Promise((resolve) => receiver.close(() => resolve())) };
}

interface OperationTimes {
  id: string;
  status: string;
  created_at: Date;
  processing_at: Date | null;
  succeeded_at: Date | null;
}

/** Waits until every operation has ended (or a minute passed); their timestamps. */
async function waitForEnds(db: pg.Client, ids: string[]): Promise<OperationTimes[]> {
  let rows: OperationTimes[] = [];
  for (let poll = 0; poll < 600; poll++) {
    rows = (await db.query('select id, status, created_at, processing_at, succeeded_at from operations where id = any($1)', [ids])).rows;
    if (rows.length === ids.length && rows.every((row) => row.status === 'succeeded' || row.status === 'failed')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return rows;
}

const sortedMs = (values: number[]) => values.sort((a, b) => a - b);
const p50p99 = (values: number[]) => `p50 ${percentile(values, 0.5)} ms, p99 ${percentile(values, 0.99)} ms`;

const chatBody = (extra: Record<string, unknown>) => JSON.stringify({ model: 'fake:gpt-bench', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, ...extra });

const burstSize = Number(process.env.BENCH_OPERATIONS_BURST ?? 5000);
/** `single` runs the one-process topology only. */
const topologies = process.env.BENCH_OPERATIONS_TOPOLOGIES ?? 'both';
const steadyRate = 200;
const steadySeconds = 10;
const webhookRate = Number(process.env.BENCH_WEBHOOK_RATE ?? 50);

/**
 * One topology: a burst of `burstSize` async operations (sustained operations/s from the first
 * row's creation to the last `succeeded_at`); a steady 200 operations/s spread over the APIs,
 * queued→processing and queued→succeeded from the rows' own timestamps (`created_at` is taken
 * in the transaction that accepts the operation, before its 202); then operations with a
 * webhook at `webhookRate`, each event's arrival at the receiver after its `succeeded_at`.
 */
async function benchTopology(name: string, apis: BenchServer[], db: pg.Client, receiverUrl: string, arrivals: Map<string, number>): Promise<void> {
  const key = await createBenchKey();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const submit = async (index: number, body: string) =>
    ((await (await fetch(`${apis[index % apis.length]!.baseUrl}/v1/chat/completions`, { method: 'POST', headers, body })).json()) as { id: string }).id;
  await fetch(`${apis[0]!.baseUrl}/infra/webhooks/endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: receiverUrl, topics: ['bench'] }) });

  await waitForEnds(db, (await sendAll(200, 20, (index) => submit(index, chatBody({ async: true })))) as string[]);
  const burstIds = (await sendAll(burstSize, 32, (index) => submit(index, chatBody({ async: true })))) as string[];
  const burst = await waitForEnds(db, burstIds);
  const succeeded = burst.filter((row) => row.status === 'succeeded');
  const seconds = (Math.max(...succeeded.map((row) => row.succeeded_at!.getTime())) - Math.min(...burst.map((row) => row.created_at.getTime()))) / 1000;
  const burstPickup = sortedMs(succeeded.map((row) => row.processing_at!.getTime() - row.created_at.getTime()));
  process.stdout.write(
    `\n### ${name}\n${burstSize} operations at once: ${succeeded.length} succeeded in ${seconds.toFixed(2)} s = ${(succeeded.length / seconds).toFixed(0)} operations/s; ` +
      `queued→processing ${p50p99(burstPickup)}\n`,
  );

  const steadyLoad = (ratePerSecond: number, body: string) =>
    Promise.all(
      apis.map((api) =>
        runPacedLoad(`async @${ratePerSecond / apis.length}/s`, {
          url: `${api.baseUrl}/v1/chat/completions`,
          method: 'POST',
          headers,
          body,
          ratePerSecond: ratePerSecond / apis.length,
          durationMs: steadySeconds * 1000,
          keepBodies: true,
        }),
      ),
    );
  const answeredIds = (loads: PacedResult[]) => loads.flatMap((load) => load.bodies.map((body) => (JSON.parse(body) as { id: string }).id));
  const failures = (loads: PacedResult[]) => loads.reduce((sum, load) => sum + load.failures, 0);

  const plain = await steadyLoad(steadyRate, chatBody({ async: true }));
  const plainIds = answeredIds(plain);
  const steady = (await waitForEnds(db, plainIds)).filter((row) => row.status === 'succeeded');
  const pickup = sortedMs(steady.map((row) => row.processing_at!.getTime() - row.created_at.getTime()));
  const done = sortedMs(steady.map((row) => row.succeeded_at!.getTime() - row.created_at.getTime()));
  process.stdout.write(
    `steady ${steadyRate} operations/s for ${steadySeconds} s (${steady.length} of ${plainIds.length} succeeded, ${failures(plain)} submissions failed):\n` +
      `  202 answer ${p50p99(sortedMs(plain.flatMap((load) => load.latenciesMs)))}\n` +
      `  queued→processing ${p50p99(pickup)}\n` +
      `  queued→succeeded ${p50p99(done)}\n`,
  );

  const hooked = await steadyLoad(webhookRate, chatBody({ async: true, webhook_topic: 'bench' }));
  const hookedIds = answeredIds(hooked);
  const ended = (await waitForEnds(db, hookedIds)).filter((row) => row.status === 'succeeded');
  for (let poll = 0; poll < 300 && ended.some((row) => !arrivals.has(row.id)); poll++) await new Promise((resolve) => setTimeout(resolve, 100));
  const delivered = sortedMs(ended.flatMap((row) => (arrivals.has(row.id) ? [arrivals.get(row.id)! - row.succeeded_at!.getTime()] : [])));
  process.stdout.write(
    `${webhookRate} operations/s with a webhook for ${steadySeconds} s: succeeded_at→event received ${p50p99(delivered)} ` +
      `(${delivered.length} of ${hookedIds.length} delivered, ${failures(hooked)} submissions failed)\n`,
  );
}

/**
 * Background operations end to end on real Postgres against a trivial upstream (a fake in its
 * own process), in one process and as 2 APIs + 1 standalone worker; then, in one process, the
 * 202 answer's latency beside the same request answered synchronously.
 */
export async function benchOperations(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: fakeUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const environment = {
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fakeUrl}/v1`, models: ['gpt-bench'] }]),
    OPERATION_CONCURRENCY: '32',
    DATABASE_POOL_SIZE: '20',
    // The webhook receiver below listens on loopback.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    // Settings to compare, as JSON (for example '{"OPERATION_CONCURRENCY":"64"}').
    ...(JSON.parse(process.env.BENCH_OPERATIONS_ENV ?? '{}') as Record<string, string>),
  };
  const receiver = await startWebhookReceiver();
  const db = new pg.Client({ connectionString: benchDatabaseUrl });
  await db.connect();
  const started: BenchServer[] = [];
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((process) => process.stop()));
  };
  try {
    const single = await startBenchServer(environment);
    started.push(single);
    await benchTopology('one process (RUN_WORKERS=true)', [single], db, receiver.url, receiver.arrivals);

    const headers = { authorization: `Bearer ${await createBenchKey()}`, 'content-type': 'application/json' };
    const paced = (async: boolean) => ({ url: `${single.baseUrl}/v1/chat/completions`, method: 'POST', headers, body: chatBody({ async }), ratePerSecond: 50, durationMs: 10_000 });
    const accepted = await runPacedLoad('async: 202 answer @50 req/s', paced(true));
    const sync = await runPacedLoad('sync answer @50 req/s', paced(false));
    console.table([accepted, sync].map((result) => ({ scenario: result.name, requests: result.requests, failures: result.failures, 'p50 ms': result.p50Ms.toFixed(2), 'p99 ms': result.p99Ms.toFixed(2) })));
    process.stdout.write(`202 path vs sync at 50 req/s: p50 ${(accepted.p50Ms - sync.p50Ms).toFixed(2)} ms, p99 ${(accepted.p99Ms - sync.p99Ms).toFixed(2)} ms\n`);
    await stopAll();
    if (topologies === 'single') return [];

    const split = { ...environment, RUN_WORKERS: 'false' };
    started.push(await startBenchServer(split), await startBenchServer(split), await startBenchWorker(environment));
    await benchTopology('2 APIs (RUN_WORKERS=false) + 1 worker', started.slice(0, 2), db, receiver.url, receiver.arrivals);
    return [];
  } finally {
    await stopAll();
    await receiver.close();
    await db.end();
    await fake.stop();
  }
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { benchDatabaseUrl, createBenchKey, startBenchServer } from './bench-server.ts';
import { runPacedLoad } from './paced-load.ts';

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** Sends `count` requests with at most `concurrency` in flight; returns the bodies. */
async function sendAll(count: number, concurrency: number, send: () => Promise<unknown>): Promise<unknown[]> {
  const bodies: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        bodies.push(await send());
      }
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

/**
 * Background operations end to end on real Postgres: a burst of async chat requests against a
 * trivial upstream (a fake in its own process), timed from the first request to the last
 * `succeeded` by the operations' own timestamps; then the 202 answer's latency beside the same
 * request answered synchronously.
 */
export async function benchOperations(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: fakeUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const server = await startBenchServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fakeUrl}/v1`, models: ['gpt-bench'] }]),
    OPERATION_CONCURRENCY: '32',
    DATABASE_POOL_SIZE: '20',
    // The webhook receiver below listens on loopback.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  });
  const receiver = await startWebhookReceiver();
  const db = new pg.Client({ connectionString: benchDatabaseUrl });
  await db.connect();
  try {
    const key = await createBenchKey();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const body = (async: boolean) => JSON.stringify({ model: 'fake:gpt-bench', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, async });
    const submit = async () => (await (await fetch(`${server.baseUrl}/v1/chat/completions`, { method: 'POST', headers, body: body(true) })).json()) as { id: string };

    await sendAll(200, 20, submit);
    const count = 3000;
    const ids = (await sendAll(count, 32, submit)).map((accepted) => (accepted as { id: string }).id);
    let rows: { status: string; created_at: Date; processing_at: Date | null; succeeded_at: Date | null }[] = [];
    for (let poll = 0; poll < 600; poll++) {
      rows = (await db.query('select status, created_at, processing_at, succeeded_at from operations where id = any($1)', [ids])).rows;
      if (rows.every((row) => row.status === 'succeeded' || row.status === 'failed')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const succeeded = rows.filter((row) => row.status === 'succeeded');
    const first = Math.min(...rows.map((row) => row.created_at.getTime()));
    const last = Math.max(...succeeded.map((row) => row.succeeded_at!.getTime()));
    const pickup = succeeded.map((row) => row.processing_at!.getTime() - row.created_at.getTime()).sort((a, b) => a - b);
    process.stdout.write(
      `\n${count} async operations: ${succeeded.length} succeeded in ${((last - first) / 1000).toFixed(2)} s = ` +
        `${(succeeded.length / ((last - first) / 1000)).toFixed(0)} operations/s; queued→processing p50 ${percentile(pickup, 0.5)} ms, ` +
        `p99 ${percentile(pickup, 0.99)} ms\n`,
    );

    const paced = (async: boolean, ratePerSecond: number) => ({
      url: `${server.baseUrl}/v1/chat/completions`,
      method: 'POST',
      headers,
      body: body(async),
      ratePerSecond,
      durationMs: 10_000,
    });
    const steady = await runPacedLoad('async: 202 answer @200 req/s', { ...paced(true, 200), keepBodies: true });
    const pacedIds = steady.bodies.map((answer) => (JSON.parse(answer) as { id: string }).id);
    const accepted = await runPacedLoad('async: 202 answer @50 req/s', paced(true, 50));
    const sync = await runPacedLoad('sync answer @50 req/s', paced(false, 50));
    const pacedRows = (await db.query('select created_at, processing_at from operations where id = any($1) and processing_at is not null', [pacedIds])).rows as {
      created_at: Date;
      processing_at: Date;
    }[];
    const pacedPickup = pacedRows.map((row) => row.processing_at.getTime() - row.created_at.getTime()).sort((a, b) => a - b);
    process.stdout.write(
      `at a steady 200 operations/s: queued→processing p50 ${percentile(pacedPickup, 0.5)} ms, p99 ${percentile(pacedPickup, 0.99)} ms (${pacedRows.length} operations)\n`,
    );
    console.table([steady, accepted, sync].map((result) => ({ scenario: result.name, requests: result.requests, failures: result.failures, 'p50 ms': result.p50Ms.toFixed(2), 'p99 ms': result.p99Ms.toFixed(2) })));
    process.stdout.write(`202 path vs sync at 50 req/s: p50 ${(accepted.p50Ms - sync.p50Ms).toFixed(2)} ms, p99 ${(accepted.p99Ms - sync.p99Ms).toFixed(2)} ms\n`);

    // Webhooks: from an operation's succeeded_at to its event's arrival, at 50 operations/s.
    await fetch(`${server.baseUrl}/infra/webhooks/endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, topics: ['bench'] }) });
    const hooked = await runPacedLoad('async with webhook_topic @50 req/s', {
      ...paced(true, 50),
      body: JSON.stringify({ model: 'fake:gpt-bench', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, async: true, webhook_topic: 'bench' }),
      keepBodies: true,
    });
    const hookedIds = hooked.bodies.map((answer) => (JSON.parse(answer) as { id: string }).id);
    for (let poll = 0; poll < 300 && hookedIds.some((id) => !receiver.arrivals.has(id)); poll++) await new Promise((resolve) => setTimeout(resolve, 100));
    const ended = (await db.query('select id, succeeded_at from operations where id = any($1) and succeeded_at is not null', [hookedIds])).rows as { id: string; succeeded_at: Date }[];
    const delivery = ended.flatMap((row) => (receiver.arrivals.has(row.id) ? [receiver.arrivals.get(row.id)! - row.succeeded_at.getTime()] : [])).sort((a, b) => a - b);
    process.stdout.write(
      `webhooks at 50 operations/s: succeeded_at → event received p50 ${percentile(delivery, 0.5)} ms, p99 ${percentile(delivery, 0.99)} ms ` +
        `(${delivery.length} of ${hookedIds.length} delivered)\n`,
    );
    return [];
  } finally {
    await receiver.close();
    await db.end();
    await server.stop();
    await fake.stop();
  }
}

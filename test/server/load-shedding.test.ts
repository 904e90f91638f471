import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { parseMetrics, sumOf } from '../helpers/prometheus.ts';

/**
 * Heavy local work is shed, not queued without bound: one compute thread, a line of 3, at most 2
 * tasks per project. A project sending more at once gets 503s with Retry-After; another project's
 * request still gets its turn; the pool's counts, read from /metrics throughout, stay in bounds.
 */
const limits = { queue: 3, project: 2 };
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LOCAL_POOL_THREADS: '1',
    LOCAL_POOL_QUEUE_LIMIT: String(limits.queue),
    LOCAL_PROJECT_QUEUE_LIMIT: String(limits.project),
    // Waits here are the test's own; a slow machine must not turn them into refusals.
    LOCAL_QUEUE_MAX_WAIT_MS: '600000',
  });
});
afterAll(async () => {
  await server?.close();
});

/** A request for the compute pool (the first also loads the encoder into its thread, which takes seconds). */
function embed(secret: string) {
  return fetch(`${server.baseUrl}/v1/embeddings`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'local:universal-sentence-encoder-lite', input: Array.from({ length: 8 }, (_, index) => `passage ${index} `.repeat(20)) }),
  });
}

async function computePool() {
  const samples = parseMetrics(await (await fetch(`${server.baseUrl}/metrics`)).text());
  const read = (name: string) => sumOf(samples, name, { pool: 'compute' });
  return {
    waiting: read('ai_local_pool_waiting'),
    busiestProject: read('ai_local_pool_busiest_project'),
    queueLimit: read('ai_local_pool_queue_limit'),
    projectLimit: read('ai_local_pool_project_limit'),
    refusals: read('ai_local_pool_refusals_total'),
  };
}

describe('load shedding of local work', () => {
  it('refuses a flooding project past its share with 503 and Retry-After, serves another project, and keeps the line in bounds', async () => {
    const flooder = await server.createKey();
    const other = await server.createKey();

    let flooding = true;
    const readings: Awaited<ReturnType<typeof computePool>>[] = [];
    const watching = (async () => {
      while (flooding) {
        readings.push(await computePool());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    let firstRefusal!: () => void;
    const refused = new Promise<void>((resolve) => (firstRefusal = resolve));
    const flood = Array.from({ length: 6 }, async () => {
      const response = await embed(flooder.secret);
      const answer = { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
      if (answer.status === 503) firstRefusal();
      return answer;
    });
    // The other project asks once the flooder has been turned away: the line holds its work.
    await Promise.race([refused, Promise.all(flood)]);
    const otherAnswer = await embed(other.secret);
    const floodAnswers = await Promise.all(flood);
    flooding = false;
    await watching;
    readings.push(await computePool());

    expect(otherAnswer.status).toBe(200);
    expect(((await otherAnswer.json()) as any).data).toHaveLength(8);

    const refusals = floodAnswers.filter((answer) => answer.status === 503);
    expect(refusals.length).toBeGreaterThan(0);
    expect(floodAnswers.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    expect(refusals.length + floodAnswers.filter((answer) => answer.status === 200).length).toBe(flood.length);
    for (const refusal of refusals) {
      expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refusal.body.error).toMatchObject({ type: 'server_error', code: 'service_unavailable' });
      expect(refusal.body.error.message).toMatch(/LOCAL_PROJECT_QUEUE_LIMIT 2/);
    }

    for (const reading of readings) {
      expect(reading).toMatchObject({ queueLimit: limits.queue, projectLimit: limits.project });
      expect(reading.waiting).toBeLessThanOrEqual(limits.queue);
      expect(reading.busiestProject).toBeLessThanOrEqual(limits.project);
    }
    expect(Math.max(...readings.map((reading) => reading.busiestProject))).toBe(limits.project);
    expect(readings.at(-1)!.refusals).toBeGreaterThanOrEqual(refusals.length);
    expect(readings.at(-1)).toMatchObject({ waiting: 0, busiestProject: 0 });
  }, 300_000);
});

import { createBenchKey, startBenchServer } from './bench-server.ts';
import type { LoadResult } from './catalog.ts';
import { runPacedLoad, type PacedResult } from './paced-load.ts';
import { maximalRequests, oversizeRequests } from '../test/helpers/heavy-requests.ts';

/**
 * Event-loop isolation: `/healthz` and an authenticated catalog read, paced at 50 requests/s,
 * first on an idle server, then while eight clients keep the local compute pool saturated with
 * maximal embeddings, parse and chunk requests (beyond the queue's bounds they get 503, as
 * designed), then while eight clients send inputs over the local models' limits (400 each).
 */
export async function benchIsolation(): Promise<LoadResult[]> {
  const server = await startBenchServer();
  const stats = { ok: 0, refused400: 0, refused503: 0, timedOut504: 0, other: 0 };
  try {
    const key = await createBenchKey();
    const headers = { authorization: `Bearer ${key}` };
    // Every request's send time and status are kept, so the results report what was achieved.
    const probe = async (label: string): Promise<PacedResult[]> => [
      await runPacedLoad(`${label}: GET /healthz`, { url: `${server.baseUrl}/healthz`, ratePerSecond: 50, durationMs: 10_000, timeline: true }),
      await runPacedLoad(`${label}: GET /v1/models (auth)`, { url: `${server.baseUrl}/v1/models`, headers, ratePerSecond: 50, durationMs: 10_000, timeline: true }),
    ];
    /** Eight clients sending `requests` in turn, each the next as soon as the last is answered, while `probe` runs. */
    const saturated = async (label: string, requests: { path: string; body: string }[], expected: 200 | 400): Promise<PacedResult[]> => {
      let saturating = true;
      const clients = Array.from({ length: 8 }, async (_, client) => {
        for (let index = client; saturating; index++) {
          const request = requests[index % requests.length]!;
          const response = await fetch(`${server.baseUrl}${request.path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: request.body });
          const answer = await response.text();
          if (response.status === 200 && expected === 200) stats.ok++;
          else if (response.status === 400 && expected === 400) stats.refused400++;
          else if (response.status === 503) stats.refused503++;
          // A task that runs past LOCAL_TASK_TIMEOUT_MS is stopped: bounded work, as designed (a
          // maximal embeddings request needs about two minutes of one thread on a slow 2-core VM).
          else if (response.status === 504 && answer.includes('LOCAL_TASK_TIMEOUT_MS')) stats.timedOut504++;
          else {
            stats.other++;
            process.stderr.write(`${request.path}: ${response.status} ${answer.slice(0, 300)}\n`);
          }
        }
      });
      try {
        // Let the pool load its models and fill its queue before measuring.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        return await probe(label);
      } finally {
        saturating = false;
        await Promise.all(clients);
      }
    };
    const idle = await probe('idle');
    const busy = await saturated('pool saturated', await maximalRequests(), 200);
    const oversize = await saturated('oversize inputs', oversizeRequests(), 400);
    process.stdout.write(
      `\nheavy requests during the run: ${stats.ok} answered, ${stats.refused400} oversize refused (400), ${stats.refused503} refused 503 (queue bounds), ` +
        `${stats.timedOut504} stopped at LOCAL_TASK_TIMEOUT_MS (504), ${stats.other} other\n`,
    );
    if (stats.other > 0) throw new Error('heavy requests got answers other than expected, 503 or the task timeout');
    return [...idle, ...busy, ...oversize].map(measuredResult);
  } finally {
    await server.stop();
  }
}

/**
 * What a paced probe measured: answers per second from its first request sent to its last answer
 * received, p50 and p99 of its 2xx answers, the requests that got no answer (errors) and the
 * answers that were not 2xx.
 */
function measuredResult(result: PacedResult): LoadResult {
  const answered = result.timeline.filter(([, status]) => status !== 0);
  const firstSentMs = Math.min(...result.timeline.map(([sentAtMs]) => sentAtMs));
  const lastAnsweredMs = Math.max(...answered.map(([sentAtMs, , latencyMs]) => sentAtMs + latencyMs));
  const seconds = (lastAnsweredMs - firstSentMs) / 1000;
  return {
    name: result.name,
    requestsPerSecond: answered.length > 0 && seconds > 0 ? Math.round((answered.length / seconds) * 10) / 10 : 0,
    p50Ms: Math.round(result.p50Ms * 100) / 100,
    p99Ms: Math.round(result.p99Ms * 100) / 100,
    errors: result.timeline.length - answered.length,
    non2xx: answered.filter(([, status]) => status < 200 || status >= 300).length,
  };
}

import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { createBenchKey, startBenchServer } from './bench-server.ts';
import { runPacedLoad, type PacedResult } from './paced-load.ts';

/**
 * What auth + rate limits + the token ledger cost on the hot path: the same priced chat request
 * against a fake upstream, paced at 200/s, on a server with enforcement on and one with it off.
 */
export async function benchEnforcement(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: fakeUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const environment = {
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fakeUrl}/v1`, models: [{ id: 'gpt-bench', input_per_million: '0.15', output_per_million: '0.6' }] }]),
  };
  const results: PacedResult[] = [];
  try {
    const scenarios: { name: string; environment: Record<string, string> }[] = [
      { name: 'enforcement off', environment: { ENFORCE_LIMITS: 'false' } },
      { name: 'enforcement on, limits in Postgres', environment: { ENFORCE_LIMITS: 'true' } },
      { name: 'enforcement on, limits in Redis', environment: { ENFORCE_LIMITS: 'true', REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' } },
    ];
    // Interleaved twice: this 2-core machine drifts, and the order of runs should not decide the result.
    for (const scenario of [...scenarios, ...scenarios]) {
      const server = await startBenchServer({ ...environment, ...scenario.environment });
      try {
        const key = await createBenchKey();
        const request = {
          url: `${server.baseUrl}/v1/chat/completions`,
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'fake:gpt-bench', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 16 }),
        };
        await runPacedLoad('warm-up', { ...request, ratePerSecond: 200, durationMs: 2000 });
        results.push(await runPacedLoad(`chat @200 req/s, ${scenario.name}`, { ...request, ratePerSecond: 200, durationMs: 10_000 }));
      } finally {
        await server.stop();
      }
    }
  } finally {
    await fake.stop();
  }
  console.table(results.map((result) => ({ scenario: result.name, requests: result.requests, failures: result.failures, 'p50 ms': result.p50Ms.toFixed(2), 'p99 ms': result.p99Ms.toFixed(2) })));
  const mean = (name: string, field: 'p50Ms' | 'p99Ms') => {
    const runs = results.filter((result) => result.name.endsWith(name));
    return runs.reduce((sum, result) => sum + result[field], 0) / runs.length;
  };
  const off = 'enforcement off';
  for (const on of ['limits in Postgres', 'limits in Redis']) {
    process.stdout.write(
      `enforcement on, ${on}: adds p50 ${(mean(on, 'p50Ms') - mean(off, 'p50Ms')).toFixed(2)} ms, ` +
        `p99 ${(mean(on, 'p99Ms') - mean(off, 'p99Ms')).toFixed(2)} ms (mean of two runs each; auth is on in every run)\n`,
    );
  }
  return [];
}

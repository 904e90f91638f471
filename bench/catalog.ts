import autocannon from 'autocannon';
import { createBenchKey, startBenchServer } from './bench-server.ts';

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function runLoad(name: string, options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon(options);
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** GET /v1/models with a bearer key, 50 connections, against the server in its own process. */
export async function benchCatalog(): Promise<LoadResult[]> {
  const server = await startBenchServer();
  try {
    const key = await createBenchKey(['ai:read']);
    const request = { url: `${server.baseUrl}/v1/models`, headers: { authorization: `Bearer ${key}` } };
    await runLoad('warm-up', { ...request, connections: 50, duration: 3 });
    const results = [await runLoad('GET /v1/models (auth + rate limit, 50 connections)', { ...request, connections: 50, duration: 10 })];
    if (results.some((result) => result.non2xx > 0 || result.errors > 0)) throw new Error('the catalog benchmark got failed requests');
    return results;
  } finally {
    await server.stop();
  }
}

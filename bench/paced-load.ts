export interface PacedResult {
  name: string;
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  /** Every answered request's latency, ascending. */
  latenciesMs: number[];
}

export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/**
 * Open-loop load at a fixed rate, requests spaced evenly (not in bursts), with sub-millisecond
 * latencies: the right tool for "added latency at N requests/s".
 */
export async function runPacedLoad(
  name: string,
  options: { url: string; init: RequestInit; ratePerSecond: number; durationMs: number; onBody?: (body: ArrayBuffer) => void },
): Promise<PacedResult> {
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / options.ratePerSecond;
  const start = performance.now();
  for (let index = 0; ; index++) {
    const due = start + index * interval;
    if (due - start >= options.durationMs) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    inFlight.push(
      fetch(options.url, options.init).then(
        async (response) => {
          const body = await response.arrayBuffer();
          if (!response.ok) {
            failures++;
            return;
          }
          latencies.push(performance.now() - sent);
          options.onBody?.(body);
        },
        () => void failures++,
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { name, requests: latencies.length + failures, failures, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), latenciesMs: latencies };
}

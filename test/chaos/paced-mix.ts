import { runPacedLoad, type PacedLoad, type PacedRequest } from '../../bench/paced-load.ts';

/** One request of a mixed load, labelled with its kind. */
export interface SentRequest {
  kind: string;
  sentAtMs: number;
  /** 0: no answer (refused, reset, or past the timeout). */
  status: number;
  latencyMs: number;
}

export interface PacedMixResult {
  requests: SentRequest[];
  /** The bodies of the 2xx answers, by kind, for the kinds that asked for them. */
  bodies: Record<string, string[]>;
}

export type PacedMixPart = Omit<PacedLoad, 'durationMs' | 'timeline'> & { kind: string };

/**
 * Several paced loads at once from the load generator process (bench/paced-load.ts: not this
 * process, whose own garbage collections would count), each at its own rate, every request's
 * send time, status and latency kept.
 */
export function runPacedMix(parts: PacedMixPart[], durationMs: number, timeoutMs = 10_000): Promise<PacedMixResult> {
  const running = collect(parts, durationMs, timeoutMs);
  // A load runs while the scenario does other things (injects its fault, floods): if it fails
  // meanwhile, that surfaces where the scenario awaits it, not as an unhandled rejection.
  running.catch(() => {});
  return running;
}

async function collect(parts: PacedMixPart[], durationMs: number, timeoutMs: number): Promise<PacedMixResult> {
  const results = await Promise.all(
    parts.map(({ kind, ...load }) => runPacedLoad(kind, { ...load, durationMs, timeoutMs, timeline: true }).then((result) => ({ kind, result }))),
  );
  const requests = results.flatMap(({ kind, result }) => result.timeline.map(([sentAtMs, status, latencyMs]: PacedRequest) => ({ kind, sentAtMs, status, latencyMs })));
  requests.sort((left, right) => left.sentAtMs - right.sentAtMs);
  return { requests, bodies: Object.fromEntries(results.map(({ kind, result }) => [kind, result.bodies])) };
}

export const isSuccess = (status: number) => status >= 200 && status < 300;

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PacedLoad {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ratePerSecond: number;
  durationMs: number;
  /** Return the body of every answered request (for benchmarks that follow up on the answers). */
  keepBodies?: boolean;
  /** Give up on a request after this long (it counts as a failure, status 0). */
  timeoutMs?: number;
  /** Return every request's send time, status and latency (fault-injection runs chart them). */
  timeline?: boolean;
}

/** One request of a paced load: when it was sent (epoch ms, sub-millisecond), its status (0: no answer), its latency. */
export type PacedRequest = [sentAtMs: number, status: number, latencyMs: number];

export interface PacedResult {
  name: string;
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  /** Every answered request's latency, ascending. */
  latenciesMs: number[];
  /** The answered requests' bodies, when asked for with `keepBodies`. */
  bodies: string[];
  /** Every request in the order they were answered, when asked for with `timeline`. */
  timeline: PacedRequest[];
}

/** What the load generator process is sent, and what it answers. */
export interface PacedLoadMessage extends PacedLoad {
  id: number;
}
export interface PacedLoadReply {
  id: number;
  latenciesMs: number[];
  bodies: string[];
  failures: number;
  timeline: PacedRequest[];
}

export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

let generator: ChildProcess | undefined;
const waiting = new Map<number, (reply: PacedLoadReply | Error) => void>();
let nextId = 0;

/** The load generator process, started on first use and kept for the rest of the run. */
function loadGenerator(): ChildProcess {
  if (generator?.connected) return generator;
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'paced-load-process.ts');
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Neither the process nor its channel keeps this one alive while no load runs.
  child.unref();
  child.channel?.unref();
  child.on('message', (reply: PacedLoadReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  child.once('exit', (code, signal) => {
    for (const settle of waiting.values()) settle(new Error(`the paced load generator exited (${signal ?? code})`));
    waiting.clear();
  });
  generator = child;
  return child;
}

/** Stops the load generator process: the loads it is running fail at once; the next load starts a new one. */
export function stopLoadGenerator(): void {
  generator?.kill();
  generator = undefined;
}

/**
 * Open-loop load at a fixed rate, requests spaced evenly (not in bursts), with sub-millisecond
 * latencies: the right tool for "added latency at N requests/s". The requests are sent from a
 * process of their own (paced-load-process.ts says why).
 */
export function runPacedLoad(name: string, load: PacedLoad): Promise<PacedResult> {
  const child = loadGenerator();
  const id = nextId++;
  // The channel keeps this process alive only while a load runs.
  child.channel?.ref();
  return new Promise<PacedResult>((resolve, reject) => {
    waiting.set(id, (reply) => {
      if (waiting.size <= 1) child.channel?.unref();
      if (reply instanceof Error) return reject(reply);
      const latenciesMs = reply.latenciesMs.sort((a, b) => a - b);
      const p50Ms = percentile(latenciesMs, 0.5);
      resolve({ name, requests: latenciesMs.length + reply.failures, failures: reply.failures, p50Ms, p99Ms: percentile(latenciesMs, 0.99), latenciesMs, bodies: reply.bodies, timeline: reply.timeline });
    });
    child.send({ ...load, id } satisfies PacedLoadMessage);
  });
}

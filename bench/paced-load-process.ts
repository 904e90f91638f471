import http from 'node:http';
import type { PacedLoadMessage, PacedLoadReply } from './paced-load.ts';

/**
 * The paced load generator, in a process of its own. In the benchmark's main process a
 * request's latency also held that process's own collections (autocannon's results and earlier
 * garbage: scavenges of 15–27 ms, seen with --trace-gc), charged to whichever target was being
 * measured; a request straight at the fake upstream had a p99 of 11–12 ms there, 3.8 ms here.
 * Requests go through node:http with a keep-alive agent, which allocates far less than fetch.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Outcome {
  latencyMs: number;
  /** The answer's status; 0 when none came (connection refused or reset, or `timeoutMs` passed). */
  status: number;
  body?: string;
}

function send(load: PacedLoadMessage, body: Buffer | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const sent = performance.now();
    const headers = body ? { ...load.headers, 'content-length': String(body.length) } : load.headers;
    const noAnswer = () => resolve({ latencyMs: performance.now() - sent, status: 0 });
    const outgoing = http.request(load.url, { method: load.method ?? 'GET', headers, agent, ...(load.timeoutMs ? { timeout: load.timeoutMs } : {}) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => void (load.keepBodies && chunks.push(chunk)));
      response.on('end', () =>
        resolve({ latencyMs: performance.now() - sent, status: response.statusCode!, body: load.keepBodies ? Buffer.concat(chunks).toString() : undefined }),
      );
      response.on('error', noAnswer);
    });
    outgoing.on('timeout', () => outgoing.destroy());
    outgoing.on('error', noAnswer);
    outgoing.end(body);
  });
}

async function run(load: PacedLoadMessage): Promise<PacedLoadReply> {
  const body = load.body === undefined ? undefined : Buffer.from(load.body);
  const interval = 1000 / load.ratePerSecond;
  const count = Math.ceil(load.durationMs / interval);
  const latencies = new Float64Array(count);
  const timeline: PacedLoadReply['timeline'] = [];
  const bodies: string[] = [];
  let answered = 0;
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let index = 0; index < count; index++) {
    const wait = start + index * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAtMs = performance.timeOrigin + performance.now();
    inFlight.push(
      send(load, body).then((outcome) => {
        if (load.timeline) timeline.push([sentAtMs, outcome.status, outcome.latencyMs]);
        if (outcome.status < 200 || outcome.status >= 300) return void failures++;
        latencies[answered++] = outcome.latencyMs;
        if (outcome.body !== undefined) bodies.push(outcome.body);
      }),
    );
  }
  await Promise.all(inFlight);
  return { id: load.id, latenciesMs: Array.from(latencies.subarray(0, answered)), bodies, failures, timeline };
}

process.on('message', (load: PacedLoadMessage) => void run(load).then((reply) => process.send!(reply)));
process.on('disconnect', () => process.exit(0));

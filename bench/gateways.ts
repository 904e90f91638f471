import { setTimeout } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { openBaselineCheckout } from './baseline-checkout.ts';
import { createBenchKey, startBenchServer, type BenchServer } from './bench-server.ts';
import { percentile, runPacedLoad } from './paced-load.ts';
import { startPortkey } from './portkey.ts';
import { cpuSecondsOf } from './process-cpu.ts';

/** One gateway under test: where to send a chat completion and how. */
interface Target {
  name: string;
  pid: number;
  url: string;
  headers: Record<string, string>;
  model: (upstreamModel: string) => string;
}

interface RoundFigures {
  target: string;
  round: number;
  maxRequestsPerSecond: number;
  cpuMicrosecondsPerRequest: number;
  addedP50Ms: number;
  addedP99Ms: number;
  addedFirstByteMs: number;
  addedSequentialMs: number;
}

const rounds = Number(process.env.GATEWAY_ROUNDS ?? 3);
const seconds = Number(process.env.GATEWAY_SECONDS ?? 16);
/**
 * An A/A control: a second enforcing process of the same code, measured like the others. Two
 * identical processes differ by several percent over a run on this machine, which bounds what
 * one round can tell about on vs off.
 */
const withControl = process.env.GATEWAY_CONTROL === 'true';
/** A checkout of an earlier commit (its own node_modules) measured beside this one, enforcement on: before and after a change in the same run. */
const baselineRoot = process.env.GATEWAY_BASELINE;
const warmUpSeconds = 10;
const quietMs = 1000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const chatBody = (model: string, stream: boolean) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 16, ...(stream ? { stream: true } : {}) });

/** Max throughput with 50 connections, and the gateway's own CPU time per request meanwhile. */
async function maxThroughput(target: Target, durationSeconds: number): Promise<{ requestsPerSecond: number; cpuMicroseconds: number; failures: number }> {
  const cpuBefore = cpuSecondsOf(target.pid);
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: chatBody(target.model('gpt-bench'), false),
    connections: 50,
    duration: durationSeconds,
  });
  const cpu = cpuSecondsOf(target.pid) - cpuBefore;
  const completed = result.requests.total;
  return { requestsPerSecond: completed / durationSeconds, cpuMicroseconds: (cpu / Math.max(1, completed)) * 1e6, failures: result.non2xx + result.errors };
}

/**
 * Max throughput of several targets, measured in short slices taken in turn (`seconds` in all
 * for each): the machine's speed drifts over a run, and slices in turn let every target see the
 * same drift instead of one target getting a fast minute and the next a slow one.
 */
async function interleavedMaxThroughput(targets: Target[], seconds: number): Promise<Map<Target, { requestsPerSecond: number; cpuMicroseconds: number; failures: number }>> {
  const slices = Math.max(1, Math.round(seconds / 2));
  const sliceSeconds = seconds / slices;
  const totals = new Map(targets.map((target) => [target, { requests: 0, cpuMicrosecondTotal: 0, failures: 0 }]));
  for (let slice = 0; slice < slices; slice++) {
    for (const target of targets) {
      const measured = await maxThroughput(target, sliceSeconds);
      // The targets run in the same cyclic order every slice, so a target's after-load work
      // (closing 50 connections, collecting their garbage, writing batches) would always land on
      // the start of the same next target's slice: each slice starts on a quiet machine instead.
      await setTimeout(quietMs);
      const total = totals.get(target)!;
      const requests = measured.requestsPerSecond * sliceSeconds;
      total.requests += requests;
      total.cpuMicrosecondTotal += measured.cpuMicroseconds * requests;
      total.failures += measured.failures;
    }
  }
  return new Map(
    [...totals].map(([target, total]) => [
      target,
      { requestsPerSecond: total.requests / seconds, cpuMicroseconds: total.cpuMicrosecondTotal / Math.max(1, total.requests), failures: total.failures },
    ]),
  );
}

/**
 * Latency at an even 200 requests/s for several targets, in one-second slices taken in turn
 * (`seconds` for each): the machine's stalls (tens of ms, several a minute on this VM) then fall
 * on every target alike, rather than deciding the p99 of whichever one ran during them.
 */
async function interleavedPacedLoad(targets: Target[], seconds: number): Promise<Map<Target, { p50Ms: number; p99Ms: number; failures: number }>> {
  const samples = new Map(targets.map((target) => [target, { latencies: [] as number[], failures: 0 }]));
  for (let slice = 0; slice < seconds; slice++) {
    for (const target of targets) {
      const request = { url: target.url, method: 'POST', headers: { ...target.headers, 'content-type': 'application/json' }, body: chatBody(target.model('gpt-bench'), false) };
      const paced = await runPacedLoad(target.name, { ...request, ratePerSecond: 200, durationMs: 1000 });
      const sample = samples.get(target)!;
      for (const latency of paced.latenciesMs) sample.latencies.push(latency);
      sample.failures += paced.failures;
    }
  }
  return new Map(
    [...samples].map(([target, { latencies, failures }]) => {
      latencies.sort((a, b) => a - b);
      return [target, { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), failures }];
    }),
  );
}

/** Milliseconds from sending a request to its first body byte, and to its whole answer. */
async function timeOne(target: Target, stream: boolean): Promise<number> {
  const started = performance.now();
  const response = await fetch(target.url, { method: 'POST', headers: { ...target.headers, 'content-type': 'application/json' }, body: chatBody(target.model(stream ? 'paced' : 'gpt-bench'), stream) });
  if (!response.ok) throw new Error(`${target.name} answered ${response.status}: ${await response.text()}`);
  const reader = response.body!.getReader();
  const first = await reader.read();
  const firstByte = performance.now() - started;
  if (!first.done) while (!(await reader.read()).done);
  return stream ? firstByte : performance.now() - started;
}

async function medianOf(target: Target, stream: boolean, count: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < count; index++) times.push(await timeOne(target, stream));
  return median(times);
}

/**
 * Portkey's gateway and this service (enforcement on, and off) in front of the same loopback
 * fake OpenAI upstream, measured in the same run, interleaved round by round: max throughput,
 * gateway CPU per request, added latency at an even 200 req/s, streamed time to first byte; with
 * GATEWAY_CONTROL=true, a second enforcing process as an A/A control; with GATEWAY_BASELINE=<checkout>,
 * an earlier commit's server, enforcement on, beside this one.
 */
export async function benchGateways(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: fakeUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const priced = (id: string) => ({ id, input_per_million: '0.15', output_per_million: '0.6' });
  const upstreams = JSON.stringify([{ name: 'fake', base_url: `${fakeUrl}/v1`, models: [priced('gpt-bench'), priced('paced')] }]);
  const servers: BenchServer[] = [];
  const portkey = await startPortkey();
  // The floor: a bare node:http pass-through proxy, what any Node gateway costs before its features.
  const floor = await startChild('bench/floor-proxy-process.ts', { FLOOR_UPSTREAM: fakeUrl });
  const { baseUrl: floorUrl } = JSON.parse(floor.firstLine) as { baseUrl: string };
  try {
    const on = await startBenchServer({ OPENAI_COMPAT_UPSTREAMS: upstreams, ENFORCE_LIMITS: 'true' });
    servers.push(on);
    const off = await startBenchServer({ OPENAI_COMPAT_UPSTREAMS: upstreams, ENFORCE_LIMITS: 'false' });
    servers.push(off);
    const control = withControl ? await startBenchServer({ OPENAI_COMPAT_UPSTREAMS: upstreams, ENFORCE_LIMITS: 'true' }) : undefined;
    if (control) servers.push(control);
    const baseline = baselineRoot ? await openBaselineCheckout(baselineRoot) : undefined;
    const before = baseline
      ? await startBenchServer({ OPENAI_COMPAT_UPSTREAMS: upstreams, ENFORCE_LIMITS: 'true', DATABASE_URL: baseline.databaseUrl }, { root: baseline.root })
      : undefined;
    if (before) servers.push(before);
    const key = await createBenchKey();
    // The control's own project and key: it shares no balance or rate-limit lease with the first.
    const controlKey = control ? await createBenchKey() : undefined;
    const ours = (name: string, server: BenchServer, apiKey = key): Target => ({
      name,
      pid: server.child.pid!,
      url: `${server.baseUrl}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}` },
      model: (upstreamModel) => `fake:${upstreamModel}`,
    });
    const targets: Target[] = [
      { name: 'Portkey gateway 1.15.2', pid: portkey.child.pid!, url: `${portkey.baseUrl}/v1/chat/completions`, headers: portkey.headersFor(`${fakeUrl}/v1`), model: (name) => name },
      ours('this service, enforcement on', on),
      ours('this service, ENFORCE_LIMITS=false', off),
      ...(control ? [ours('this service, enforcement on (control: a second process)', control, controlKey)] : []),
      ...(before && baseline ? [ours(`baseline ${baseline.commit}, enforcement on`, before, await baseline.createKey())] : []),
      { name: 'floor: bare node:http proxy', pid: floor.child.pid!, url: `${floorUrl}/v1/chat/completions`, headers: {}, model: (name) => name },
    ];
    const direct: Target = { name: 'upstream direct', pid: fake.child.pid!, url: `${fakeUrl}/v1/chat/completions`, headers: {}, model: (name) => name };

    // Warm every target's JIT before the first figure (a gateway's CPU per request still falls
    // for several seconds of load after it starts).
    for (const target of targets) await maxThroughput(target, warmUpSeconds);
    // ... and the paced load generator's, on every target it will measure.
    await interleavedPacedLoad([direct, ...targets], 1);
    const figures: RoundFigures[] = [];
    const failures: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order each round, so no target always runs first or last.
      const order = targets.map((_, index) => targets[(index + round - 1) % targets.length]!);
      const throughputs = await interleavedMaxThroughput(order, seconds);
      const pacedLoads = await interleavedPacedLoad([direct, ...order], seconds);
      const directPaced = pacedLoads.get(direct)!;
      const directFirstByte = await medianOf(direct, true, 50);
      const directSequential = await medianOf(direct, false, 100);
      for (const target of order) {
        const throughput = throughputs.get(target)!;
        // A peer's failures are its figures; this service's fail the run (after the table is printed).
        if (throughput.failures > 0) failures.push(`${target.name}, round ${round}: ${throughput.failures} failed requests at max load`);
        const paced = pacedLoads.get(target)!;
        if (paced.failures > 0) failures.push(`${target.name}, round ${round}: ${paced.failures} failed requests at 200 req/s`);
        figures.push({
          target: target.name,
          round,
          maxRequestsPerSecond: throughput.requestsPerSecond,
          cpuMicrosecondsPerRequest: throughput.cpuMicroseconds,
          addedP50Ms: paced.p50Ms - directPaced.p50Ms,
          addedP99Ms: paced.p99Ms - directPaced.p99Ms,
          addedFirstByteMs: (await medianOf(target, true, 50)) - directFirstByte,
          addedSequentialMs: (await medianOf(target, false, 100)) - directSequential,
        });
      }
    }
    console.table(
      figures.map((figure) => ({
        target: figure.target,
        round: figure.round,
        'max req/s (50 conn)': Math.round(figure.maxRequestsPerSecond),
        'CPU µs/req': Math.round(figure.cpuMicrosecondsPerRequest),
        'added p50 ms @200/s': figure.addedP50Ms.toFixed(2),
        'added p99 ms @200/s': figure.addedP99Ms.toFixed(2),
        'added TTFB ms (stream)': figure.addedFirstByteMs.toFixed(2),
        'added ms (one at a time)': figure.addedSequentialMs.toFixed(2),
      })),
    );
    const [portkeyName, onName, offName] = targets.map((target) => target.name);
    const controlName = control ? targets[3]!.name : undefined;
    const baselineName = targets.find((target) => target.name.startsWith('baseline '))?.name;
    const floorName = targets.at(-1)!.name;
    for (let round = 1; round <= rounds; round++) {
      const of = (name: string) => figures.find((figure) => figure.round === round && figure.target === name)!;
      const [reference, enforced, bare, bareProxy] = [of(portkeyName!), of(onName!), of(offName!), of(floorName)];
      process.stdout.write(
        `round ${round}: enforcement on vs Portkey: ${(enforced.maxRequestsPerSecond / reference.maxRequestsPerSecond).toFixed(2)}x throughput, ` +
          `${(enforced.cpuMicrosecondsPerRequest / reference.cpuMicrosecondsPerRequest).toFixed(2)}x CPU per request, ` +
          `p99 added ${enforced.addedP99Ms.toFixed(2)} vs ${reference.addedP99Ms.toFixed(2)} ms; ` +
          `enforcement on vs off: ${(enforced.maxRequestsPerSecond / bare.maxRequestsPerSecond).toFixed(2)}x throughput; ` +
          `vs the floor (bare node:http proxy): ${(enforced.maxRequestsPerSecond / bareProxy.maxRequestsPerSecond).toFixed(2)}x throughput, ` +
          `${(enforced.cpuMicrosecondsPerRequest / bareProxy.cpuMicrosecondsPerRequest).toFixed(2)}x CPU per request` +
          (controlName
            ? `; control (same code, another process) vs enforcement on: ${(of(controlName).maxRequestsPerSecond / enforced.maxRequestsPerSecond).toFixed(2)}x throughput, ` +
              `${(of(controlName).cpuMicrosecondsPerRequest / enforced.cpuMicrosecondsPerRequest).toFixed(2)}x CPU per request`
            : '') +
          (baselineName
            ? `; enforcement on vs ${baselineName}: ${(enforced.maxRequestsPerSecond / of(baselineName).maxRequestsPerSecond).toFixed(2)}x throughput, ` +
              `${(enforced.cpuMicrosecondsPerRequest / of(baselineName).cpuMicrosecondsPerRequest).toFixed(2)}x CPU per request`
            : '') +
          '\n',
      );
    }
    for (const failure of failures) process.stdout.write(`failed: ${failure}\n`);
    if (failures.some((failure) => !failure.startsWith(portkeyName!))) throw new Error('this service failed requests (above)');
  } finally {
    for (const server of servers) await server.stop();
    await portkey.stop();
    await floor.stop();
    await fake.stop();
  }
  return [];
}

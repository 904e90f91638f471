import type { PrivatePostgres } from '../helpers/private-postgres.ts';
import { bearer } from '../helpers/test-server.ts';
import { isSuccess, runPacedMix, type PacedMixPart } from './paced-mix.ts';
import { recoveryOf, statusesBySecond, type Outage } from './outage-timeline.ts';
import { checked, describeTally, formatTable, tally, timed } from './report.ts';
import { freePort } from '../../server/free-port.ts';
import type { ChildServer } from '../helpers/child-server.ts';
import { stopProcess, type Goal, type Scenario, type Stage, type Watched } from './stage.ts';

/**
 * Postgres restarted (pg_ctl, fast) and killed outright (SIGKILL, then started: crash recovery)
 * under 200 requests/s of mixed load, with the workers in the API process and, separately, in a
 * standalone worker process beside an API that runs none. No process may exit, every answer
 * during the outage is a 2xx or a 503, and within 5 s of Postgres returning every answer is a 2xx.
 */

type Fault = 'restart' | 'kill';

interface Topology {
  name: string;
  standaloneWorker: boolean;
  faults: Fault[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inject(cluster: PrivatePostgres, fault: Fault): Promise<void> {
  if (fault === 'restart') return cluster.restart('fast');
  cluster.kill();
  await cluster.start();
}

/**
 * The load's parts, 200 requests/s in all: health, the catalog, a chat answered by the fake
 * upstream, a poll of an operation, and async submits (fewer: each is an operation row, a queued
 * job and a run by a worker, and on two cores 40 a second of those would be the load itself).
 */
function loadParts(baseUrl: string, key: string, operationId: string): PacedMixPart[] {
  const headers = { ...bearer(key), 'content-type': 'application/json' };
  const chat = (async: boolean) => JSON.stringify({ model: 'fake:chaos', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, ...(async ? { async: true } : {}) });
  return [
    { kind: 'GET /healthz', url: `${baseUrl}/healthz`, ratePerSecond: 50 },
    { kind: 'GET /v1/models', url: `${baseUrl}/v1/models`, headers: bearer(key), ratePerSecond: 50 },
    { kind: 'POST /v1/chat/completions', url: `${baseUrl}/v1/chat/completions`, method: 'POST', headers, body: chat(false), ratePerSecond: 50 },
    { kind: 'GET /infra/ai/operations/{id} (poll)', url: `${baseUrl}/infra/ai/operations/${operationId}`, headers: bearer(key), ratePerSecond: 40 },
    { kind: 'POST async chat (submit)', url: `${baseUrl}/v1/chat/completions`, method: 'POST', headers, body: chat(true), keepBodies: true, ratePerSecond: 10 },
  ];
}

/** The final statuses of the accepted operations, once none is queued or running (or 60 s have passed). */
async function settledOperations(baseUrl: string, key: string, ids: string[]): Promise<Record<string, number>> {
  const statusOf = async (id: string) => {
    const response = await fetch(`${baseUrl}/infra/ai/operations/${id}`, { headers: bearer(key) });
    return response.ok ? (((await response.json()) as { data: { status: string } }).data.status) : `answer ${response.status}`;
  };
  const deadline = Date.now() + 60_000;
  let statuses: string[] = [];
  do {
    statuses = [];
    for (let at = 0; at < ids.length; at += 20) statuses.push(...(await Promise.all(ids.slice(at, at + 20).map(statusOf))));
    if (statuses.every((status) => status === 'succeeded' || status === 'failed' || status === 'cancelled')) break;
    await sleep(1000);
  } while (Date.now() < deadline);
  return tally(statuses);
}

/** What a process that died said about it: the line of the throw that ended it, not its whole stack or log. */
function lastWords(output: string): string {
  const tail = output.slice(-50_000);
  const fatal = /^.*(Unhandled|Uncaught|throw er;|"level":60).*$/m.exec(tail);
  if (!fatal) return tail.slice(-400).trim();
  // The thrown error's own line follows Node's caret.
  const thrown = /^\w*Error[^\n]*|^error: [^\n]*/m.exec(tail.slice(fatal.index));
  return `${fatal[0].trim().slice(0, 200)}${thrown ? ` — ${thrown[0].slice(0, 200)}` : ''}`;
}

interface FaultRun {
  fault: Fault;
  outageMs: number;
  recoveryMs: number;
  recovered: boolean;
  statuses: Record<string, number>;
  unexpectedByKind: Record<string, number>;
  /** Processes that exited during this fault's load. */
  exited: string[];
  /** Processes that had exited at an earlier fault and were started again before this one. */
  restartedBefore: string[];
}

const statusName = (status: number) => (isSuccess(status) ? '2xx' : status === 0 ? 'none' : String(status));

/**
 * One topology on its own database: each fault gets a load of its own (a few seconds before the
 * fault, then its window), and a process that died at one fault is started again (the API on the
 * same port) before the next, so that each fault is judged on its own.
 */
async function runTopology(stage: Stage, cluster: PrivatePostgres, upstreamUrl: string, topology: Topology) {
  const databaseUrl = await stage.databaseOn(cluster, `chaos_${topology.name.replaceAll(/\W/g, '_')}`);
  const environment = {
    DATABASE_URL: databaseUrl,
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${upstreamUrl}/v1`, models: ['chaos'] }]),
    JOBS_SUPERVISE_SECONDS: '1',
  };
  const apiEnvironment = { ...environment, PORT: String(await freePort()), RUN_WORKERS: String(!topology.standaloneWorker) };
  const processes: { name: string; start: () => Promise<ChildServer & Watched>; process?: ChildServer & Watched }[] = [
    { name: 'API', start: () => stage.server(apiEnvironment) },
    ...(topology.standaloneWorker ? [{ name: 'worker', start: () => stage.worker(environment) }] : []),
  ];
  for (const entry of processes) entry.process = await entry.start();
  const api = () => processes[0]!.process!;
  const baseUrl = api().baseUrl;
  const key = await stage.key(databaseUrl, topology.name);
  const seeded = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake:chaos', messages: [{ role: 'user', content: 'seed' }], async: true }),
  });
  if (seeded.status !== 202) throw new Error(`the seed operation answered ${seeded.status}: ${await seeded.text()}`);
  const operationId = ((await seeded.json()) as { id: string }).id;

  const beforeMs = stage.pick({ small: 4000, full: 6000 });
  const windowMs = stage.pick({ small: 12_000, full: 15_000 });
  const accepted: string[] = [];
  const faults: FaultRun[] = [];
  for (const fault of topology.faults) {
    const restartedBefore: string[] = [];
    for (const entry of processes) {
      if (entry.process!.alive()) continue;
      entry.process = await entry.start();
      restartedBefore.push(entry.name);
    }
    // The load runs half a second past the window, so the window's last second is whole.
    const load = runPacedMix(loadParts(baseUrl, key, operationId), beforeMs + windowMs + 500);
    await sleep(beforeMs);
    const startedAtMs = Date.now();
    await inject(cluster, fault);
    const outage: Outage = { fault, startedAtMs, backAtMs: Date.now(), windowEndMs: startedAtMs + windowMs };
    const { requests, bodies } = await load;
    accepted.push(...(bodies['POST async chat (submit)'] ?? []).map((body) => (JSON.parse(body) as { id: string }).id));

    const exited = processes.filter((entry) => !entry.process!.alive()).map((entry) => entry.name);
    const unexpected = requests.filter((request) => !isSuccess(request.status) && request.status !== 503);
    const recovery = recoveryOf(requests, outage);
    const outageMs = outage.backAtMs - outage.startedAtMs;
    stage.print(`### ${topology.name}, ${fault}${restartedBefore.length > 0 ? ` (${restartedBefore.join(' and ')} started again first)` : ''}: Postgres down for ${outageMs} ms`);
    stage.print(`${requests.length} requests; sent per second around the fault, by status (none: no answer):`);
    for (const line of formatTable(statusesBySecond(requests, outage)).split('\n')) stage.print(`  ${line}`);
    stage.print(`recovery: ${recovery.recovered ? `${recovery.recoveryMs} ms after Postgres returned` : 'not recovered by the end of the window'}`);
    for (const entry of processes) if (!entry.process!.alive()) stage.print(`the ${entry.name} exited: ${lastWords(entry.process!.output())}`);
    faults.push({
      fault,
      outageMs,
      ...recovery,
      statuses: tally(requests.map((request) => statusName(request.status))),
      unexpectedByKind: tally(unexpected.map((request) => `${request.kind} → ${statusName(request.status)}`)),
      exited,
      restartedBefore,
    });
  }

  const operations = api().alive() ? await settledOperations(baseUrl, key, accepted) : { 'not checked: the API exited': accepted.length };
  stage.print(`operations accepted during the faults: ${accepted.length}; how they ended: ${describeTally(operations)}`);
  // The next topology runs on the same cluster: these processes must not weigh on it.
  await Promise.all(processes.map((entry) => stopProcess(entry.process!.child)));

  const goals: Goal[] = faults.flatMap((run) => {
    const name = `${topology.name}, ${run.fault}`;
    const unexpected = Object.values(run.unexpectedByKind).reduce((sum, count) => sum + count, 0);
    return [
      checked(`${name}: no process exits`, run.exited.length === 0, run.exited.length === 0 ? 'all running' : `exited: ${run.exited.join(', ')}`),
      checked(`${name}: every answer a 2xx or a 503`, unexpected === 0, `${unexpected} others: ${describeTally(run.unexpectedByKind)}`),
      checked(`${name}: all 2xx again by the end of the window`, run.recovered, run.recovered ? 'yes' : 'no'),
      timed(`${name}: 100 % 2xx within 5 s of Postgres returning`, run.recovered && run.recoveryMs <= 5000, run.recovered ? `${run.recoveryMs} ms` : 'never'),
    ];
  });
  return { figures: { faults, operationsAccepted: accepted.length, operationsEnded: operations }, goals };
}

export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  summary: 'Postgres restarted and killed under 200 req/s of mixed load, workers in-process and standalone: no exit, only 2xx/503, 2xx again within 5 s',
  timeoutMs: { small: 120_000, full: 360_000 },
  async run(stage) {
    const [cluster, upstream] = await Promise.all([stage.privatePostgres(), stage.fakeUpstreamProcess()]);
    const topologies: Topology[] = stage.pick({
      small: [{ name: 'workers in the API', standaloneWorker: false, faults: ['restart'] }],
      full: [
        { name: 'workers in the API', standaloneWorker: false, faults: ['restart', 'kill'] },
        { name: 'API + standalone worker', standaloneWorker: true, faults: ['restart', 'kill'] },
      ],
    });
    const figures: Record<string, unknown> = {};
    const goals: Goal[] = [];
    for (const topology of topologies) {
      // A topology whose API died (or would not start) leaves the next one to run on its own.
      const outcome = await runTopology(stage, cluster, upstream.baseUrl, topology).catch((error: unknown) => ({
        figures: { error: String(error) },
        goals: [checked(`${topology.name}: runs to its end`, false, String(error).slice(0, 400))],
      }));
      figures[topology.name] = outcome.figures;
      goals.push(...outcome.goals);
    }
    return { figures, goals };
  },
};

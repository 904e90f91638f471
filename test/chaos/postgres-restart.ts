import type { PrivatePostgres } from '../helpers/private-postgres.ts';
import { bearer } from '../helpers/test-server.ts';
import { isSuccess, runMixedLoad, type MixedLoadPart } from './mixed-load.ts';
import { recoveryOf, statusesBySecond, type Outage } from './outage-timeline.ts';
import { checked, describeTally, formatTable, tally, timed } from './report.ts';
import { stopProcess, type Goal, type Scenario, type Stage } from './stage.ts';

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
function loadParts(baseUrl: string, key: string, operationId: string): MixedLoadPart[] {
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

/** What a process that died said first about it (the thrown error's opening lines), not its whole stack. */
function lastWords(output: string): string {
  const tail = output.slice(-20_000);
  const at = tail.search(/Unhandled|Uncaught|^\S*Error|throw /m);
  return tail.slice(at === -1 ? -600 : at, (at === -1 ? tail.length : at) + 600).trim();
}

async function runTopology(stage: Stage, cluster: PrivatePostgres, upstreamUrl: string, topology: Topology) {
  const databaseUrl = await stage.databaseOn(cluster, `chaos_${topology.name.replaceAll(/\W/g, '_')}`);
  const environment = {
    DATABASE_URL: databaseUrl,
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${upstreamUrl}/v1`, models: ['chaos'] }]),
    JOBS_SUPERVISE_SECONDS: '1',
  };
  const api = await stage.server({ ...environment, RUN_WORKERS: String(!topology.standaloneWorker) });
  const worker = topology.standaloneWorker ? await stage.worker(environment) : undefined;
  const key = await stage.key(databaseUrl, topology.name);
  const seeded = await fetch(`${api.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake:chaos', messages: [{ role: 'user', content: 'seed' }], async: true }),
  });
  if (seeded.status !== 202) throw new Error(`the seed operation answered ${seeded.status}: ${await seeded.text()}`);
  const operationId = ((await seeded.json()) as { id: string }).id;

  const warmUpMs = stage.pick({ small: 4000, full: 8000 });
  const slotMs = stage.pick({ small: 12_000, full: 15_000 });
  const durationMs = warmUpMs + topology.faults.length * slotMs;
  const load = runMixedLoad(loadParts(api.baseUrl, key, operationId), durationMs);
  const loadStartedAt = Date.now();
  const outages: Outage[] = [];
  for (const [index, fault] of topology.faults.entries()) {
    await sleep(loadStartedAt + warmUpMs + index * slotMs - Date.now());
    const startedAtMs = Date.now();
    await inject(cluster, fault);
    outages.push({ fault, startedAtMs, backAtMs: Date.now(), windowEndMs: loadStartedAt + warmUpMs + (index + 1) * slotMs });
  }
  const { requests, bodies } = await load;

  const processes = [{ name: 'API', process: api }, ...(worker ? [{ name: 'worker', process: worker }] : [])];
  const exited = processes.filter(({ process }) => !process.alive()).map(({ name }) => name);
  const unexpected = requests.filter((request) => !isSuccess(request.status) && request.status !== 503);
  const accepted = (bodies['POST async chat (submit)'] ?? []).map((body) => (JSON.parse(body) as { id: string }).id);
  const operations = exited.includes('API') ? { 'not checked: the API exited': accepted.length } : await settledOperations(api.baseUrl, key, accepted);
  // The next topology runs on the same cluster: these processes must not weigh on it.
  await Promise.all(processes.map(({ process }) => stopProcess(process.child)));

  stage.print(`### ${topology.name}: ${requests.length} requests over ${durationMs / 1000} s`);
  const faults = outages.map((outage) => {
    const recovery = recoveryOf(requests, outage);
    const outageMs = outage.backAtMs - outage.startedAtMs;
    stage.print(`${outage.fault}: Postgres down for ${outageMs} ms; requests sent per second around it, by status:`);
    for (const line of formatTable(statusesBySecond(requests, outage)).split('\n')) stage.print(`  ${line}`);
    stage.print(`  recovery: ${recovery.recovered ? `${recovery.recoveryMs} ms after Postgres returned` : 'not recovered by the end of the window'}`);
    return { fault: outage.fault, outageMs, ...recovery };
  });
  for (const { name, process } of processes) if (!process.alive()) stage.print(`the ${name} exited: ${lastWords(process.output())}`);

  const figures = {
    requests: requests.length,
    statuses: tally(requests.map((request) => (isSuccess(request.status) ? '2xx' : request.status === 0 ? 'none' : String(request.status)))),
    unexpectedByKind: tally(unexpected.map((request) => `${request.kind} → ${request.status || 'none'}`)),
    faults,
    operationsAccepted: accepted.length,
    operationsEnded: operations,
    exited,
  };
  const goals: Goal[] = [
    checked(`${topology.name}: no process exits`, exited.length === 0, exited.length === 0 ? `${processes.map(({ name }) => name).join(' and ')} running` : `exited: ${exited.join(', ')}`),
    checked(`${topology.name}: every answer a 2xx or a 503`, unexpected.length === 0, `${unexpected.length} others: ${describeTally(figures.unexpectedByKind)}`),
    ...faults.map((fault) => checked(`${topology.name}: all 2xx again by the end of the ${fault.fault} window`, fault.recovered, fault.recovered ? 'yes' : 'no')),
    ...faults.map((fault) =>
      timed(`${topology.name}: 100 % 2xx within 5 s of Postgres returning after the ${fault.fault}`, fault.recovered && fault.recoveryMs <= 5000, fault.recovered ? `${fault.recoveryMs} ms` : 'never'),
    ),
  ];
  return { figures, goals };
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

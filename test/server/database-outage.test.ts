import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startChildServer, startChildWorker, type ChildServer } from '../helpers/child-server.ts';
import { countByStatus, startMixedLoad, type Answer, type MixedLoad } from '../helpers/mixed-load.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { until } from '../helpers/until.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { bearer } from '../helpers/test-server.ts';

/**
 * Postgres restarted (pg_ctl restart -m fast) and killed outright (SIGKILL, then started again)
 * under steady mixed load, with the workers in the API process and in a `npm run worker` process
 * of their own: no process exits, every answer meanwhile is a 2xx or a 503 with Retry-After,
 * calls sent 5 s after Postgres is back all succeed, and every async operation ends, the one
 * running when the database went away included.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const terminal = ['succeeded', 'failed', 'cancelled'];
const recoveryBoundMs = 5000;
/** How long the load runs on after Postgres is back: past the recovery bound, so calls after it are seen. */
const afterBackMs = recoveryBoundMs + 2500;

interface Topology {
  postgres: PrivatePostgres;
  fake: FakeOpenAi;
  api: ChildServer;
  processes: ChildServer[];
  key: string;
  keyId: string;
  load: MixedLoad;
}

async function startTopology(standaloneWorker: boolean): Promise<Topology> {
  const postgres = await startPrivatePostgres();
  const fake = await startFakeOpenAi();
  const environment = {
    DATABASE_URL: postgres.url,
    // echo is priced: each call reserves from a balance lease and charges the ledger.
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([
      { name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [{ id: 'echo', input_per_million: '1000', output_per_million: '2000' }, 'sleepy', 'gated'] },
    ]),
    JOBS_SUPERVISE_SECONDS: '1',
    OPERATION_RETRY_DELAY_SECONDS: '1',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    RATE_LIMIT_TOKENS_PER_MINUTE: '100000000',
    LOCAL_LLAMA_THREADS: '1',
  };
  const api = await startChildServer({ ...environment, RUN_WORKERS: standaloneWorker ? 'false' : 'true' });
  const processes = [api];
  if (standaloneWorker) processes.push(await startChildWorker({ ...environment, OPERATION_CONCURRENCY: '2' }));
  const { secret: key, keyId } = await provisionKey(postgres.url, 'outage', { grant: '1000000' });
  const load = startMixedLoad(api.baseUrl, key, { chatModel: 'fake:echo' });
  return { postgres, fake, api, processes, key, keyId, load };
}

async function stopTopology(topology: Topology | undefined): Promise<void> {
  await topology?.load.stop();
  for (const child of topology?.processes ?? []) await child.stop();
  await topology?.fake.close();
  await topology?.postgres.destroy();
}

/** An async chat completion on the fake upstream, accepted (202): its operation id. */
async function submitChat(topology: Topology, model: string): Promise<string> {
  const response = await fetch(`${topology.api.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...bearer(topology.key), 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'through the outage' }], async: true }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

interface Outage {
  name: string;
  /** When the fault was injected, and when Postgres accepted connections again. */
  faultAt: number;
  backAt: number;
  endAt: number;
}

/** What the load got from the fault to the end of the phase, checked and printed. */
function checkOutage(topology: Topology, outage: Outage): Answer[] {
  const during = topology.load.answers.filter((answer) => answer.sentAt >= outage.faultAt && answer.sentAt < outage.endAt);
  const failed = during.filter((answer) => answer.status < 200 || answer.status >= 300);
  const afterRecoveryBound = during.filter((answer) => answer.sentAt >= outage.backAt + recoveryBoundMs);
  // Negative when the last failure came before Postgres was seen back (the service saw it first).
  const lastFailure = failed.length === 0 ? outage.faultAt : Math.max(...failed.map((answer) => answer.answeredAt));
  console.log(
    `${outage.name}: Postgres away ${outage.backAt - outage.faultAt} ms; ${during.length} answers, by status:`,
    countByStatus(during),
    `; last non-2xx answer ${lastFailure - outage.backAt} ms after Postgres was back; ${afterRecoveryBound.length} calls sent ${recoveryBoundMs} ms or more after it, ${afterRecoveryBound.filter((answer) => answer.status < 300).length} of them 2xx`,
  );
  for (const child of topology.processes) expect(child.child.exitCode, child.output().slice(-3000)).toBeNull();
  expect(failed.filter((answer) => answer.status !== 503)).toEqual([]);
  // /readyz is a probe, not an API call: its 503 says why in its body.
  expect(failed.filter((answer) => answer.kind !== 'readyz' && answer.retryAfter === null)).toEqual([]);
  expect(afterRecoveryBound.length).toBeGreaterThan(0);
  expect(afterRecoveryBound.filter((answer) => answer.status < 200 || answer.status >= 300)).toEqual([]);
  return during;
}

/** Every operation the load submitted ends; counted by how. */
async function checkOperationsEnd(topology: Topology): Promise<void> {
  const ended: Record<string, number> = {};
  for (const id of topology.load.operationIds) {
    const operation = await waitForOperation(topology.api.baseUrl, topology.key, id, terminal, 100);
    ended[operation.status] = (ended[operation.status] ?? 0) + 1;
  }
  console.log('operations submitted under load, by how they ended:', ended);
}

/**
 * After a graceful stop: every embeddings and chat call answered 200 has its usage record
 * (charges held in memory through the outages were written), and the project's money is whole: the balance
 * plus what open leases still hold (those of identities lost in the outages, reclaimed at the
 * next boot) is what the ledger says.
 */
async function checkNothingLost(topology: Topology): Promise<void> {
  const client = new pg.Client({ connectionString: topology.postgres.url });
  await client.connect();
  try {
    const recorded = new Set((await client.query<{ request_id: string }>(`select request_id from usage_records`)).rows.map((row) => row.request_id));
    const answered = topology.load.answers.filter((answer) => (answer.kind === 'embeddings' || answer.kind === 'chat') && answer.status === 200);
    const money = (
      await client.query<{ held: string; ledger: string; open_leases: string; charged: string }>(
        `select (select balance from project_balances where project_id = k.project_id)
                  + coalesce((select sum(amount - spent) from balance_leases where project_id = k.project_id and closed_at is null), 0) as held,
                (select sum(amount) from ledger_entries where project_id = k.project_id) as ledger,
                (select count(*) from balance_leases where project_id = k.project_id and closed_at is null) as open_leases,
                (select coalesce(sum(tokens_charged), 0) from usage_records where project_id = k.project_id) as charged
         from api_keys k where k.id = $1`,
        [topology.keyId],
      )
    ).rows[0]!;
    console.log(
      `embeddings and chat calls answered 200: ${answered.length}, with a usage record: ${answered.filter((answer) => recorded.has(answer.requestId!)).length}; charged ${money.charged} tokens; money held ${money.held} = ledger ${money.ledger} (${money.open_leases} leases of lost identities open)`,
    );
    expect(answered.filter((answer) => !recorded.has(answer.requestId!))).toEqual([]);
    expect(money.held).toBe(money.ledger);
  } finally {
    await client.end();
  }
}

/** The log of each process: no error lines, and how many warnings the outages cost. */
function checkLogs(topology: Topology): void {
  for (const child of topology.processes) {
    const lines = child.output().split('\n').filter((line) => line.startsWith('{'));
    const levels = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    const unreachable = levels.filter((line) => line.msg.startsWith('database unreachable')).length;
    const back = levels.filter((line) => line.msg === 'database reachable again').length;
    const warnings = levels.filter((line) => line.level === 40 && !line.msg.startsWith('database unreachable'));
    console.log(`log of ${child === topology.api ? 'the API' : 'the worker'}: ${unreachable} "database unreachable" warnings, ${back} "reachable again" lines, other warnings:`, warnings.map((line) => line.msg));
    // One warning per outage, however many calls and connections failed in it (a stale
    // connection's error just after the return may open a second).
    expect(unreachable).toBeGreaterThanOrEqual(2);
    expect(unreachable).toBeLessThanOrEqual(4);
    expect(warnings).toEqual([]);
    expect(levels.filter((line) => line.level >= 50)).toEqual([]);
    expect(child.output()).not.toMatch(/Unhandled|uncaught/i);
  }
}

describe.each([
  { name: 'workers in the API process', standaloneWorker: false },
  { name: 'workers in a process of their own (npm run worker)', standaloneWorker: true },
])('Postgres going away under load, $name', ({ standaloneWorker }) => {
  let topology: Topology | undefined;

  beforeAll(async () => {
    topology = await startTopology(standaloneWorker);
    await sleep(2000);
  }, 120_000);
  afterAll(() => stopTopology(topology), 60_000);

  it('serves the load before any fault', () => {
    const answers = topology!.load.answers;
    console.log('before any fault:', countByStatus(answers));
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status < 200 || answer.status >= 300)).toEqual([]);
  });

  it('rides out a fast restart (pg_ctl restart -m fast) with an operation running across it', async () => {
    const t = topology!;
    const running = await submitChat(t, 'fake:sleepy');
    await until(() => t.fake.requests.some((request) => request.body?.model === 'sleepy'), 'the sleepy operation to start');
    const faultAt = Date.now();
    await t.postgres.restart('fast');
    const backAt = Date.now();
    await sleep(afterBackMs);
    checkOutage(t, { name: 'fast restart', faultAt, backAt, endAt: Date.now() });
    expect((await waitForOperation(t.api.baseUrl, t.key, running, terminal, 100)).status).toBe('succeeded');
  }, 60_000);

  it('rides out Postgres killed outright, with an operation finishing while it is away', async () => {
    const t = topology!;
    const running = await submitChat(t, 'fake:gated');
    await until(() => t.fake.gate.waiting() > 0, 'the gated operation to start');
    const faultAt = Date.now();
    t.postgres.kill();
    await sleep(500);
    // The run ends while the database is away: its outcome must wait for it, not be lost.
    t.fake.gate.open();
    await sleep(1500);
    await t.postgres.start();
    const backAt = Date.now();
    await sleep(afterBackMs);
    const during = checkOutage(t, { name: 'killed and started again', faultAt, backAt, endAt: Date.now() });
    expect(during.some((answer) => answer.kind === 'readyz' && answer.status === 503)).toBe(true);
    const operation = await waitForOperation(t.api.baseUrl, t.key, running, terminal, 100);
    expect(operation.status).toBe('succeeded');
    expect(operation.result).toMatchObject({ object: 'chat.completion' });
  }, 60_000);

  it('ends every operation submitted under load, stops cleanly with nothing lost, and logged the outages without errors', async () => {
    const t = topology!;
    await t.load.stop();
    await checkOperationsEnd(t);
    for (const child of t.processes) expect(await child.stop()).toBe(0);
    await checkNothingLost(t);
    checkLogs(t);
  }, 120_000);
});

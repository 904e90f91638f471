import Big from 'big.js';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema/db/types.ts';
import { findBalance, sumLedger } from '../../schema/db/queries/ledger.ts';
import { reconcileProject } from '../../schema/db/queries/reconcile.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { bearer } from '../helpers/test-server.ts';
import { checked, describeTally } from './report.ts';
import type { Goal, Scenario, Stage } from './stage.ts';

/** 1,000 tokens per million in, 2,000 out: the fake's 7 + 3 tokens cost exactly 0.013 a call. */
const pricing = { input_per_million: '1000', output_per_million: '2000' };
const grant = '1000';
const clients = 24;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a client received: the answer's request id and the cost its reported usage comes to. */
interface Received {
  requestId: string;
  cost: Big;
}

/** How the load's answers ended: by status, and `none` where the connection failed. */
type Statuses = Record<string, number>;

/** Chat completions from `clients` loops until stopped or the server stops answering; every 200 the client read whole. */
async function load(baseUrl: string, secret: string, received: Received[], statuses: Statuses, stop: AbortSignal): Promise<void> {
  const body = JSON.stringify({ model: 'fake:chaos', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 });
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stop.aborted) {
        try {
          const response = await fetch(`${baseUrl}/v1/chat/completions`, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body });
          const answer = (await response.json()) as { usage?: { prompt_tokens: number; completion_tokens: number } };
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (response.status !== 200 || !answer.usage) {
            await sleep(20); // a 503 while Postgres is away: not a busy loop
            continue;
          }
          const cost = new Big(answer.usage.prompt_tokens).times(pricing.input_per_million).plus(new Big(answer.usage.completion_tokens).times(pricing.output_per_million)).div(1_000_000);
          received.push({ requestId: response.headers.get('x-request-id')!, cost });
        } catch {
          statuses.none = (statuses.none ?? 0) + 1;
          return; // the process was killed: this client's round is over
        }
      }
    }),
  );
}

/** What happens mid-load: the process holding the lease dies, or its Postgres is restarted or killed under it. */
type Fault = 'process-kill' | 'postgres';

interface Rounds {
  /** Every answer clients read whole, and the statuses of all answers. */
  received: Received[];
  statuses: Statuses;
  databaseUrl: string;
  keyId: string;
  /** Goals of the fault itself (the server stayed up through Postgres faults). */
  goals: Goal[];
}

function serverEnvironment(databaseUrl: string, upstreamUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    RUN_WORKERS: 'false',
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${upstreamUrl}/v1`, models: [{ id: 'chaos', ...pricing }] }]),
  };
}

/** SIGKILL of the process holding the lease at a random moment; started again (the next one reclaims the dead lease). */
async function killProcesses(stage: Stage, rounds: number): Promise<Rounds> {
  const [databaseUrl, upstream] = await Promise.all([stage.database(), stage.fakeUpstreamProcess()]);
  const environment = serverEnvironment(databaseUrl, upstream.baseUrl);
  // The first server migrates the database the key is written into.
  let server = await stage.server(environment);
  const { secret, keyId } = await provisionKey(databaseUrl, 'chaos-ledger', { grant, requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 });
  const received: Received[] = [];
  const statuses: Statuses = {};
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) server = await stage.server(environment);
    const before = received.length;
    const stop = new AbortController();
    const loaded = load(server.baseUrl, secret, received, statuses, stop.signal);
    const killAfterMs = 300 + Math.floor(Math.random() * 1200);
    await sleep(killAfterMs);
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    stop.abort();
    await loaded;
    stage.print(`round ${round}: SIGKILL after ${killAfterMs} ms, ${received.length - before} answers received`);
  }
  // One more process: it reclaims the dead leases at start; stopped, it writes and returns its own.
  server = await stage.server(environment);
  await server.stop();
  return { received, statuses, databaseUrl, keyId, goals: [] };
}

/**
 * Postgres restarted (pg_ctl, fast) and killed outright (SIGKILL, then started: crash recovery)
 * in turn, at a random moment of each round, under one server that keeps serving; the load goes
 * on for a second after Postgres is back.
 */
async function faultPostgres(stage: Stage, rounds: number): Promise<Rounds> {
  const [cluster, upstream] = await Promise.all([stage.privatePostgres(), stage.fakeUpstreamProcess()]);
  const databaseUrl = await stage.databaseOn(cluster, 'chaos_ledger');
  const server = await stage.server(serverEnvironment(databaseUrl, upstream.baseUrl));
  const { secret, keyId } = await provisionKey(databaseUrl, 'chaos-ledger', { grant, requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 });
  const received: Received[] = [];
  const statuses: Statuses = {};
  for (let round = 1; round <= rounds; round++) {
    const before = received.length;
    const stop = new AbortController();
    const loaded = load(server.baseUrl, secret, received, statuses, stop.signal);
    const faultAfterMs = 300 + Math.floor(Math.random() * 1200);
    await sleep(faultAfterMs);
    const fault = round % 2 === 1 ? 'restarted' : 'killed';
    const down = performance.now();
    if (fault === 'restarted') await cluster.restart('fast');
    else {
      cluster.kill();
      await cluster.start();
    }
    const outageMs = Math.round(performance.now() - down);
    await sleep(1000);
    stop.abort();
    await loaded;
    stage.print(`round ${round}: Postgres ${fault} after ${faultAfterMs} ms, away ${outageMs} ms; ${received.length - before} answers received`);
  }
  const alive = server.alive();
  // Stopped, the server writes what it holds and returns its lease.
  await server.stop();
  const others = Object.entries(statuses).filter(([status]) => status !== '200' && status !== '503');
  return {
    received,
    statuses,
    databaseUrl,
    keyId,
    goals: [
      checked('the server never exited', alive, alive ? 'alive through every fault' : 'exited'),
      checked('every answer a 200 or a 503', others.length === 0, describeTally(Object.fromEntries(others))),
    ],
  };
}

/**
 * The ledger through crashes: priced chat completions from 24 clients at once while a fault hits
 * at a random moment, round after round. Afterwards every answer a client received must have its
 * usage record, every record's charge must be what its answer reported, and the balance must have
 * moved by exactly the recorded charges (and agree with the ledger). Records of calls whose answer
 * a crash cut off are counted apart: written, charged, never received (the write in flight when
 * the process died committed, its answers were not yet sent; or its answer was a 503 because the
 * record could not be written in time, and it was written when Postgres came back).
 */
function ledgerScenario(name: string, summary: string, fault: Fault): Scenario {
  return {
    name,
    summary,
    timeoutMs: { small: 120_000, full: 300_000 },
    async run(stage) {
      const rounds = stage.pick({ small: 2, full: 10 });
      const outcome = fault === 'process-kill' ? await killProcesses(stage, rounds) : await faultPostgres(stage, rounds);
      return verify(stage, rounds, outcome);
    },
  };
}

export const ledgerKill = ledgerScenario(
  'ledger-kill',
  'priced calls from 24 clients, the lease holder SIGKILLed at a random moment, round after round: no answered call without its record, no call charged other than its usage, the balance equal to the records',
  'process-kill',
);

export const ledgerPostgres = ledgerScenario(
  'ledger-postgres',
  'priced calls from 24 clients, Postgres restarted and killed in turn under them, round after round: the server stays up, answers 200 or 503, and no answered call goes without its record or is charged other than its usage',
  'postgres',
);

/** What every ledger scenario checks once its rounds are over. */
async function verify(stage: Stage, rounds: number, { received, statuses, databaseUrl, keyId, goals }: Rounds) {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
  try {
    const { project_id: projectId } = await db.selectFrom('api_keys').select('project_id').where('id', '=', keyId).executeTakeFirstOrThrow();
    const records = await db.selectFrom('usage_records').select(['request_id', 'tokens_charged', 'status']).where('key_id', '=', keyId).execute();
    const openLeases = await db.selectFrom('balance_leases').select('id').where('project_id', '=', projectId).where('closed_at', 'is', null).execute();
    const balance = new Big(await findBalance(db, projectId));
    const ledgerSum = new Big(await sumLedger(db, projectId));
    const charged = new Map(records.map((record) => [record.request_id, new Big(record.tokens_charged)]));
    const answeredWithoutRecord = received.filter((answer) => !charged.has(answer.requestId));
    const chargedOtherwise = received.filter((answer) => charged.has(answer.requestId) && !charged.get(answer.requestId)!.eq(answer.cost));
    const receivedIds = new Set(received.map((answer) => answer.requestId));
    const recordedNotReceived = records.filter((record) => !receivedIds.has(record.request_id) && new Big(record.tokens_charged).gt(0));
    const recordedTotal = records.reduce((sum, record) => sum.plus(record.tokens_charged), new Big(0));
    const receivedTotal = received.reduce((sum, answer) => sum.plus(answer.cost), new Big(0));
    const spent = new Big(grant).minus(balance);
    // What `npm run admin -- tokens:reconcile` runs.
    const reconciliation = await reconcileProject(db, projectId, { since: new Date(0), until: new Date(Date.now() + 1000) });
    stage.print(`answers by status: ${describeTally(statuses)}`);
    stage.print(
      `${received.length} answers received, ${records.length} usage records; received worth ${receivedTotal.toFixed(3)}, recorded ${recordedTotal.toFixed(3)}, balance moved ${spent.toFixed(3)}; ` +
        `${recordedNotReceived.length} recorded and charged but cut off by a crash before the client read them`,
    );
    return {
      figures: {
        rounds,
        clients,
        received: received.length,
        records: records.length,
        answeredWithoutRecord: answeredWithoutRecord.length,
        statuses: describeTally(statuses),
        chargedOtherThanUsage: chargedOtherwise.length,
        recordedNotReceived: recordedNotReceived.length,
        receivedWorth: receivedTotal.toFixed(12),
        recordedCharges: recordedTotal.toFixed(12),
        balanceMoved: spent.toFixed(12),
      },
      goals: [
        checked('answers were received in every round', received.length > 0, `${received.length} answers`),
        checked('no answered call without its usage record', answeredWithoutRecord.length === 0, `${answeredWithoutRecord.length} of ${received.length}`),
        checked('every answered call charged exactly its reported usage', chargedOtherwise.length === 0, `${chargedOtherwise.length} charged otherwise`),
        checked('the balance moved by exactly the recorded charges', spent.eq(recordedTotal), `moved ${spent.toFixed(12)}, recorded ${recordedTotal.toFixed(12)}`),
        checked('the ledger agrees with the balance', ledgerSum.eq(balance), `ledger ${ledgerSum.toFixed(12)}, balance ${balance.toFixed(12)}`),
        checked('every dead lease reclaimed', openLeases.length === 0, `${openLeases.length} open`),
        checked('tokens:reconcile finds no difference', reconciliation.differences.length === 0, reconciliation.differences.join('; ') || 'none'),
        ...goals,
      ],
    };
  } finally {
    await db.destroy();
  }
}

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBoss } from '../../jobs/boss.ts';
import { JobPump, type GroupFairness } from '../../jobs/job-pump.ts';
import { listenForQueuedJobs } from '../../jobs/job-wakeups.ts';
import type { Listener } from '../../schema/db/listen.ts';
import { DatabaseReachability } from '../../schema/db/reachability.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { until } from '../helpers/until.ts';

const logger = pino({ level: 'silent' });
let database: { url: string; drop(): Promise<void> };
let db: Kysely<Database>;
let reachability: DatabaseReachability;
let boss: PgBoss;
const pumps = new Map<string, JobPump<{ n: number }>>();
let wakeups: Listener;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
  reachability = new DatabaseReachability({ connectionString: database.url, logger });
  boss = await startBoss(reachability, logger, { superviseSeconds: 30, poolSize: 4 });
  wakeups = await listenForQueuedJobs(db, reachability, logger, pumps);
}, 60_000);
afterAll(async () => {
  await wakeups?.close();
  await boss?.stop({ graceful: false });
  await db?.destroy();
  await database?.drop();
});

/** A pump on a queue of its own whose runs wait until the test ends them (`finish`). */
async function pumpOn(queue: string, options: { concurrency: number; fairness: GroupFairness }) {
  await boss.createQueue(queue, { notify: true, retryLimit: 2, retryDelay: 1 });
  const running = new Map<number, { group: string | null; end: () => void }>();
  const started: { n: number; at: number }[] = [];
  let peak = 0;
  let endAtOnce = false;
  const pump = new JobPump<{ n: number }>({
    boss,
    queue,
    ...options,
    run: (job) =>
      new Promise<void>((resolve) => {
        running.set(job.data.n, { group: job.groupId ?? null, end: resolve });
        started.push({ n: job.data.n, at: performance.now() });
        peak = Math.max(peak, running.size);
        if (endAtOnce) resolve();
      }).finally(() => running.delete(job.data.n)),
    reachability,
    logger,
  });
  pumps.set(queue, pump);
  pump.start();
  const send = (n: number, group?: string) => boss.send(queue, { n }, group ? { group: { id: group } } : {});
  const finish = (n: number) => running.get(n)?.end();
  /** Ends the jobs running now and lets every later one end as soon as it starts. */
  const finishAll = () => {
    endAtOnce = true;
    for (const run of running.values()) run.end();
  };
  return { pump, running, started, send, finish, finishAll, peak: () => peak };
}

describe('the job pump', () => {
  it('starts a queued job as soon as its NOTIFY arrives, and never runs more than its concurrency', async () => {
    const queue = await pumpOn('pump-wake', { concurrency: 3, fairness: { share: 3, keptForOthers: 0 } });
    const sentAt = performance.now();
    await queue.send(1);
    await until(() => queue.started.length === 1, 'the first job to start');
    // Far sooner than the once-a-second poll.
    expect(queue.started[0]!.at - sentAt).toBeLessThan(500);
    for (let n = 2; n <= 8; n++) await queue.send(n);
    await until(() => queue.running.size === 3, 'three jobs to run');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(queue.running.size).toBe(3);
    // A freed slot is filled from the backlog at once.
    queue.finish(1);
    await until(() => queue.started.length === 4, 'the next job to start');
    queue.finishAll();
    await until(() => queue.started.length === 8 && queue.running.size === 0, 'every job to run', 10_000);
    expect(queue.peak()).toBe(3);
    const active = async () => (await db.selectFrom('pgboss.job' as never).select((eb) => eb.fn.countAll<number>().as('n')).where('name' as never, '=', 'pump-wake' as never).where('state' as never, '=', 'active' as never).executeTakeFirstOrThrow()).n;
    for (let poll = 0; poll < 100 && Number(await active()) > 0; poll++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Number(await active())).toBe(0);
    await queue.pump.stop(1_000);
  });

  it("with a cap, runs at most `cap` of one group's jobs even with slots free, and another group's at once", async () => {
    const queue = await pumpOn('pump-cap', { concurrency: 6, fairness: { cap: 2 } });
    for (let n = 1; n <= 5; n++) await queue.send(n, 'slow-project');
    await until(() => queue.running.size === 2, "two of the slow project's jobs to run");
    await queue.send(100, 'other-project');
    await until(() => queue.running.has(100), "the other project's job to run");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...queue.running.values()].filter((run) => run.group === 'slow-project')).toHaveLength(2);
    queue.finishAll();
    await until(() => queue.started.length === 6 && queue.running.size === 0, 'the rest to run');
    expect(queue.peak()).toBe(3);
    await queue.pump.stop(1_000);
  });

  it('on stop, lets running jobs end within the grace, then hands the rest back to the queue for another attempt', async () => {
    const queue = await pumpOn('pump-stop', { concurrency: 2, fairness: { share: 2, keptForOthers: 0 } });
    const ending = await queue.send(1);
    const stuck = await queue.send(2);
    await until(() => queue.running.size === 2, 'both jobs to run');
    setTimeout(() => queue.finish(1), 100);
    const stopping = queue.pump.stop(500);
    await stopping;
    expect((await boss.getJobById('pump-stop', ending!))?.state).toBe('completed');
    const handedBack = await boss.getJobById('pump-stop', stuck!);
    expect(handedBack?.state).toBe('retry');
    expect(handedBack?.output).toMatchObject({ message: 'the worker stopped before the job ended' });
    queue.finishAll();
  });
});

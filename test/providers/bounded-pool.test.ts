import { describe, expect, it } from 'vitest';
import { BoundedPool, type QueueLimits } from '../../providers/local/bounded-pool.ts';
import { HeavyWorkAdmission } from '../../providers/local/heavy-work-admission.ts';
import { ProviderError } from '../../providers/spec/provider-error.ts';

const names = { pool: 'the test pool', queueSetting: 'TEST_QUEUE_LIMIT' };

/** A task that runs until the test lets it finish, recording when it started. */
function heldTask(log: string[], label: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const run = async () => {
    log.push(label);
    await done;
  };
  return { run, finish };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function poolOf(limits: Partial<QueueLimits> = {}, resources = [1]) {
  return new BoundedPool(resources, { queueLimit: 10, projectLimit: 10, maxWaitMs: 600_000, ...limits }, names);
}

async function refusalOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => expect.unreachable('the task ran'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).kind).toBe('unavailable');
  expect((error as ProviderError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  return error as ProviderError;
}

describe('BoundedPool', () => {
  it('serves projects in turn: one project’s backlog never stands in front of another’s task', async () => {
    const pool = poolOf();
    const started: string[] = [];
    const tasks = ['a1', 'a2', 'a3', 'a4', 'b1', 'c1', 'b2'].map((label) => ({ label, ...heldTask(started, label) }));
    const running = tasks.map(({ label, run }) => pool.use(label[0]!, run));
    await settle();
    expect(started).toEqual(['a1']);
    for (const label of ['a1', 'a2', 'b1', 'c1', 'a3', 'b2', 'a4']) {
      expect(started.at(-1)).toBe(label);
      tasks.find((task) => task.label === label)!.finish();
      await settle();
    }
    await Promise.all(running);
    expect(started).toEqual(['a1', 'a2', 'b1', 'c1', 'a3', 'b2', 'a4']);
    expect(pool.usage).toMatchObject({ busy: 0, waiting: 0, busiestProject: 0, refused: 0 });
  });

  it('refuses a project past its share at once (503, Retry-After) while other projects still get in', async () => {
    const pool = poolOf({ projectLimit: 2 });
    const started: string[] = [];
    const a1 = heldTask(started, 'a1');
    const a2 = heldTask(started, 'a2');
    const running = [pool.use('a', a1.run), pool.use('a', a2.run)];
    const refusal = await refusalOf(pool.use('a', heldTask(started, 'a3').run));
    expect(refusal.message).toMatch(/already has 2 tasks running or waiting for the test pool \(LOCAL_PROJECT_QUEUE_LIMIT 2\)/);
    expect(() => pool.checkAdmission('a')).toThrow(ProviderError);
    expect(() => pool.checkAdmission('b')).not.toThrow();

    const b1 = heldTask(started, 'b1');
    running.push(pool.use('b', b1.run));
    expect(pool.usage).toMatchObject({ capacity: 1, busy: 1, waiting: 2, busiestProject: 2, projectLimit: 2, refused: 2 });
    for (const task of [a1, a2, b1]) {
      task.finish();
      await settle();
    }
    await Promise.all(running);
    expect(started).toEqual(['a1', 'a2', 'b1']);
  });

  it('refuses anyone once the line is full, and never lets it grow past its limit', async () => {
    const pool = poolOf({ queueLimit: 2 }, [1, 2]);
    const started: string[] = [];
    const held = Array.from({ length: 4 }, (_, index) => heldTask(started, `t${index}`));
    const running = held.map((task, index) => pool.use(`project-${index}`, task.run));
    const refusal = await refusalOf(pool.use('project-new', heldTask(started, 'late').run));
    expect(refusal.message).toMatch(/^The test pool is full \(TEST_QUEUE_LIMIT 2 tasks waiting\)/);
    expect(pool.usage).toMatchObject({ capacity: 2, busy: 2, waiting: 2, queueLimit: 2 });
    for (const task of held) {
      task.finish();
      await settle();
      expect(pool.usage.waiting).toBeLessThanOrEqual(2);
    }
    await Promise.all(running);
  });

  it('refuses a task that waited past the longest wait, and gives its place back', async () => {
    const pool = poolOf({ maxWaitMs: 100, projectLimit: 2 });
    const started: string[] = [];
    const blocker = heldTask(started, 'blocker');
    const running = pool.use('a', blocker.run);
    const refusal = await refusalOf(pool.use('a', heldTask(started, 'patient').run));
    expect(refusal.message).toMatch(/^Waited 100 ms for the test pool without a turn \(LOCAL_QUEUE_MAX_WAIT_MS\)/);
    expect(pool.usage).toMatchObject({ waiting: 0, busiestProject: 1 });
    expect(() => pool.checkAdmission('a')).not.toThrow();
    blocker.finish();
    await running;
    expect(started).toEqual(['blocker']);
  });

  it('lets a waiting task leave when its caller goes away, and frees a place when a task fails', async () => {
    const pool = poolOf();
    const started: string[] = [];
    const blocker = heldTask(started, 'blocker');
    const running = pool.use('a', blocker.run);
    const caller = new AbortController();
    const leaving = pool.use('b', heldTask(started, 'gone').run, caller.signal);
    caller.abort(new Error('client went away'));
    await expect(leaving).rejects.toThrow('client went away');
    expect(pool.usage).toMatchObject({ busy: 1, waiting: 0, busiestProject: 1 });
    blocker.finish();
    await running;
    await expect(pool.use('a', async () => Promise.reject(new Error('the model failed')))).rejects.toThrow('the model failed');
    expect(pool.usage).toMatchObject({ busy: 0, waiting: 0, busiestProject: 0 });
    expect(started).toEqual(['blocker']);
  });
});

describe('HeavyWorkAdmission', () => {
  it('admits a project’s requests before their bodies up to its share, and refuses past it or past its share of the pool', async () => {
    const pool = poolOf({ projectLimit: 2 });
    const admission = new HeavyWorkAdmission(pool, 2);
    const first = admission.admit('a');
    const second = admission.admit('a');
    const refusal = await refusalOf(Promise.resolve().then(() => admission.admit('a')));
    expect(refusal.message).toMatch(/already has 2 requests for local work in flight \(LOCAL_PROJECT_QUEUE_LIMIT 2\)/);
    const other = admission.admit('b');
    expect(admission.busiestProject).toBe(2);
    // Ending an admission twice (the answer's close and an error path) frees one place.
    first();
    first();
    expect(admission.busiestProject).toBe(1);
    const third = admission.admit('a');

    // Tasks of the project already in the pool (from any route) count against its share too.
    const started: string[] = [];
    const tasks = [heldTask(started, 'c1'), heldTask(started, 'c2')];
    const running = tasks.map((task) => pool.use('c', task.run));
    await refusalOf(Promise.resolve().then(() => admission.admit('c')));
    for (const task of tasks) {
      task.finish();
      await settle();
    }
    await Promise.all(running);
    for (const end of [second, third, other]) end();
    expect(admission.busiestProject).toBe(0);
    admission.admit('c')();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WipData } from 'pg-boss';
import { stalledLoops } from '../../server/worker-health.ts';
import { startChildWorker, type ChildServer } from '../helpers/child-server.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';

const now = 1_000_000;
const limits = { idleMs: 30_000, busyMs: 960_000 };
const loop = (fields: Partial<WipData>): WipData =>
  ({ id: 'w1', workId: 'w1', name: 'ai-operations', options: {}, state: 'active', count: 0, createdOn: now - 3_600_000, lastFetchedOn: null, lastJobStartedOn: null, lastJobEndedOn: null, lastJobDuration: null, lastError: null, lastErrorOn: null, ...fields }) as WipData;

describe('stalledLoops', () => {
  it('counts an idle loop as turning while it fetches, or fails to fetch because Postgres is away', () => {
    expect(stalledLoops([loop({ lastFetchedOn: now - 2_000 })], now, limits)).toEqual([]);
    expect(stalledLoops([loop({ lastFetchedOn: now - 600_000, lastErrorOn: now - 1_000 })], now, limits)).toEqual([]);
  });

  it('names an idle loop that has not turned for longer than the idle limit', () => {
    expect(stalledLoops([loop({ lastFetchedOn: now - 45_000 })], now, limits)).toEqual([{ queue: 'ai-operations', jobsInHand: 0, stalledForMs: 45_000 }]);
  });

  it('gives a loop with jobs in hand until the busy limit (their own timeouts end them first)', () => {
    expect(stalledLoops([loop({ count: 2, lastFetchedOn: now - 600_000, lastJobStartedOn: now - 600_000 })], now, limits)).toEqual([]);
    expect(stalledLoops([loop({ count: 2, lastJobStartedOn: now - 1_000_000 })], now, limits)).toEqual([{ queue: 'ai-operations', jobsInHand: 2, stalledForMs: 1_000_000 }]);
  });

  it('leaves out loops that are stopping with the process', () => {
    expect(stalledLoops([loop({ state: 'stopping', lastFetchedOn: now - 600_000 })], now, limits)).toEqual([]);
  });
});

/** The status of a probe, or `no answer` when none came within a probe's usual timeout. */
async function probe(url: string): Promise<number | 'no answer'> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).status;
  } catch {
    return 'no answer';
  }
}

/** Probes `url` until it answers `status`; throws after `limitMs`. */
async function waitForProbe(url: string, status: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = await probe(url);
  while (last !== status) {
    if (Date.now() > deadline) throw new Error(`${url} still answers ${last}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe(url);
  }
}

describe('npm run worker: its probes', () => {
  let postgres: PrivatePostgres;
  let worker: ChildServer;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    worker = await startChildWorker({ DATABASE_URL: postgres.url });
  }, 60_000);
  afterAll(async () => {
    worker?.child.kill('SIGCONT');
    await worker?.stop();
    await postgres?.destroy();
  });

  it('is live and ready with its loops turning and Postgres up', async () => {
    const live = await fetch(`${worker.baseUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(((await live.json()) as { loops: number }).loops).toBeGreaterThan(0);
    expect(await probe(`${worker.baseUrl}/readyz`)).toBe(200);
  });

  it('is not ready while Postgres is away, yet stays live (a restart would not bring Postgres back)', async () => {
    await postgres.stop();
    try {
      await waitForProbe(`${worker.baseUrl}/readyz`, 503, 10_000);
      expect(await probe(`${worker.baseUrl}/healthz`)).toBe(200);
    } finally {
      await postgres.start();
    }
    await waitForProbe(`${worker.baseUrl}/readyz`, 200, 15_000);
  }, 40_000);

  it('does not answer its liveness probe while its event loop is stuck', async () => {
    worker.child.kill('SIGSTOP');
    try {
      expect(await probe(`${worker.baseUrl}/healthz`)).toBe('no answer');
    } finally {
      worker.child.kill('SIGCONT');
    }
    await waitForProbe(`${worker.baseUrl}/healthz`, 200, 10_000);
  }, 20_000);
});

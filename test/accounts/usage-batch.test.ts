import { describe, expect, it } from 'vitest';
import { UsageBatch } from '../../accounts/ledger/usage-batch.ts';
import type { UsageInput } from '../../schema/db/queries/ledger.ts';

const call = (requestId: string): UsageInput => ({
  projectId: 'proj_a',
  keyId: 'key_a',
  primitive: 'chat.completions',
  model: 'fake:echo',
  inputUnits: 7,
  outputUnits: 3,
  unit: 'token',
  estimated: false,
  charged: 13_000_000_000n,
  latencyMs: 2,
  status: 'succeeded',
  requestId,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a promise has settled yet, and to what. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('UsageBatch: answers waiting for their records', () => {
  it('gives every call of a batch one promise, true once written', async () => {
    const batch = new UsageBatch<string>();
    batch.add(call('req_1'), 'lease_a', 'lease_a');
    const first = batch.whenWritten();
    batch.add(call('req_2'), 'lease_a', 'lease_a');
    expect(batch.whenWritten()).toBe(first);
    expect(await peek(first)).toBe('pending');
    batch.markWritten();
    expect(await first).toBe(true);
  });

  it('stops the answers that waited past the cutoff (false), keeps the later ones, and the calls stay to be written', async () => {
    const failed = new UsageBatch<string>();
    failed.add(call('req_old'), 'lease_a', 'lease_a');
    const old = failed.whenWritten();
    await sleep(5);
    const cutoff = performance.now();
    // A write failed; calls settled meanwhile joined it for the retry.
    const later = new UsageBatch<string>();
    later.add(call('req_new'), 'lease_a', 'lease_a');
    const recent = later.whenWritten();
    const merged = failed.absorb(later);
    // A call added after the merge waits from its own moment, not the failed batch's.
    merged.add(call('req_newest'), 'lease_a', 'lease_a');
    const newest = merged.whenWritten();
    expect(newest).not.toBe(old);

    merged.stopWaitingSince(cutoff);
    expect(await old).toBe(false);
    expect(await peek(recent)).toBe('pending');
    expect(await peek(newest)).toBe('pending');
    expect(merged.calls).toBe(3);

    merged.markWritten();
    expect(await recent).toBe(true);
    expect(await newest).toBe(true);
  });

  it('gives calls settled after their batch stopped waiting a wait of their own, not the ended one', async () => {
    const batch = new UsageBatch<string>();
    batch.add(call('req_1'), 'lease_a', 'lease_a');
    const first = batch.whenWritten();
    batch.stopWaitingSince(Infinity);
    expect(await first).toBe(false);
    batch.add(call('req_2'), 'lease_a', 'lease_a');
    const second = batch.whenWritten();
    expect(await peek(second)).toBe('pending');
    batch.markWritten();
    expect(await second).toBe(true);
  });
});

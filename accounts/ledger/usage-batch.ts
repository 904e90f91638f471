import type { ChargeGroup } from '../../schema/db/queries/balance-leases.ts';
import type { UsageInput } from '../../schema/db/queries/ledger.ts';
import { largestExactDouble } from '../../schema/db/amount.ts';
import { UsageCalls } from '../../schema/db/usage-calls.ts';

/** Answers waiting for a batch's write, from `since` (a `performance.now()` time). */
interface Waiting {
  since: number;
  settle: (written: boolean) => void;
}

/** A batch group, with the caller's handle on the lease its calls were charged to. */
interface Group<Lease> extends ChargeGroup {
  lease: Lease | undefined;
}

/**
 * Settled calls waiting for their batch write, grouped as they arrive by lease, key, primitive,
 * model, unit and whether their counts are estimates: each call adds only its own six fields to its group's columns (no object per
 * call outlives the call), and the group's charge stays a bigint, so nothing is formatted on the
 * hot path or parsed back at the write. `Lease` is whatever the ledger tracks its leases by.
 */
export class UsageBatch<Lease> {
  /** By API key, then a short list (a key's calls go to few leases, primitives and models): no key string is built per call. */
  readonly #byKey = new Map<string, Group<Lease>[]>();
  #calls = 0;
  /** The answers waiting for this batch and every later batch it took in: one entry per batch, from when its first call came. */
  readonly #waiting: Waiting[] = [];
  #written: Promise<boolean> | undefined;
  /** The entry behind `#written`: once it has stopped waiting, later calls get a wait of their own. */
  #current: Waiting | undefined;

  get calls(): number {
    return this.#calls;
  }

  *groups(): Iterable<Group<Lease>> {
    for (const groups of this.#byKey.values()) yield* groups;
  }

  /**
   * Resolves to true once this batch has been written, or to false once its calls' answers have
   * waited too long (`stopWaitingSince`; the calls stay in the batch): one promise for every call
   * in it, and no timer per call.
   */
  whenWritten(): Promise<boolean> {
    this.#written ??= new Promise((settle) => {
      this.#current = { since: performance.now(), settle };
      this.#waiting.push(this.#current);
    });
    return this.#written;
  }

  /** Its write committed: every call waiting on it may be answered. */
  markWritten(): void {
    for (const waiting of this.#waiting.splice(0)) waiting.settle(true);
  }

  /**
   * Answers waiting since before `cutoff` (a `performance.now()` time) stop waiting (false); their
   * calls are still written when the database allows. Calls added later wait afresh.
   */
  stopWaitingSince(cutoff: number): void {
    let kept = 0;
    for (const waiting of this.#waiting) {
      if (waiting.since < cutoff) {
        waiting.settle(false);
        if (waiting === this.#current) this.#written = undefined;
      } else this.#waiting[kept++] = waiting;
    }
    this.#waiting.length = kept;
  }

  add(usage: UsageInput, leaseId: string | null, lease: Lease | undefined): void {
    let group = this.#find(usage.keyId, leaseId, usage.primitive, usage.model, usage.unit, usage.estimated);
    if (!group) {
      const { projectId, keyId, primitive, model, unit, estimated } = usage;
      group = { leaseId, lease, projectId, keyId, primitive, model, unit, estimated, charged: 0n, calls: new UsageCalls() };
      this.#listOf(keyId).push(group);
    }
    group.charged += usage.charged;
    // A number where a double holds it exactly (any charge under 9,007 tokens), digits beyond.
    const charged = usage.charged <= largestExactDouble ? Number(usage.charged) : usage.charged.toString();
    group.calls.push(usage.inputUnits, usage.outputUnits, charged, usage.latencyMs, usage.status, usage.requestId);
    this.#calls++;
  }

  /** Takes every call of `other` (a later batch) into this one, as when a failed write is retried with what came since. */
  absorb(other: UsageBatch<Lease>): this {
    for (const theirs of other.groups()) {
      const ours = this.#find(theirs.keyId, theirs.leaseId, theirs.primitive, theirs.model, theirs.unit, theirs.estimated);
      if (!ours) {
        this.#listOf(theirs.keyId).push(theirs);
        continue;
      }
      ours.charged += theirs.charged;
      ours.calls.append(theirs.calls);
    }
    this.#calls += other.#calls;
    this.#waiting.push(...other.#waiting.splice(0));
    // Calls added from now on wait from their own first moment, not from this batch's.
    this.#written = undefined;
    return this;
  }

  #find(keyId: string, leaseId: string | null, primitive: string, model: string | null, unit: string, estimated: boolean): Group<Lease> | undefined {
    const groups = this.#byKey.get(keyId);
    if (!groups) return undefined;
    for (const group of groups) {
      if (group.leaseId === leaseId && group.primitive === primitive && group.model === model && group.unit === unit && group.estimated === estimated) return group;
    }
    return undefined;
  }

  #listOf(keyId: string): Group<Lease>[] {
    let groups = this.#byKey.get(keyId);
    if (!groups) this.#byKey.set(keyId, (groups = []));
    return groups;
  }
}

import type { ChargeGroup } from '../../schema/db/queries/balance-leases.ts';
import type { UsageInput } from '../../schema/db/queries/ledger.ts';

const largestExactNumber = BigInt(Number.MAX_SAFE_INTEGER);

/** A batch group, with the caller's handle on the lease its calls were charged to. */
interface Group<Lease> extends ChargeGroup {
  lease: Lease | undefined;
}

/**
 * Settled calls waiting for their batch write, grouped as they arrive by lease, key, primitive,
 * model and unit: each call keeps only its own six fields, and its charge stays a bigint, summed
 * per group, so nothing is formatted on the hot path or parsed back at the write. `Lease` is whatever the ledger tracks its leases by.
 */
export class UsageBatch<Lease> {
  readonly #groups = new Map<string, Group<Lease>>();
  #calls = 0;

  get calls(): number {
    return this.#calls;
  }

  get groups(): Iterable<Group<Lease>> {
    return this.#groups.values();
  }

  add(usage: UsageInput, leaseId: string | null, lease: Lease | undefined): void {
    // The key decides the project, so it stands for it here; \u0001 keeps a null model apart from any id.
    const groupKey = `${leaseId ?? ''}\u0000${usage.keyId}\u0000${usage.primitive}\u0000${usage.model ?? '\u0001'}\u0000${usage.unit}`;
    let group = this.#groups.get(groupKey);
    if (!group) {
      const { projectId, keyId, primitive, model, unit } = usage;
      group = { leaseId, lease, projectId, keyId, primitive, model, unit, charged: 0n, calls: [] };
      this.#groups.set(groupKey, group);
    }
    group.charged += usage.charged;
    // JSON numbers where they are exact (any charge under 9,007 tokens), digits beyond that.
    const charged = usage.charged <= largestExactNumber ? Number(usage.charged) : usage.charged.toString();
    group.calls.push([usage.inputUnits, usage.outputUnits, charged, usage.latencyMs, usage.status, usage.requestId]);
    this.#calls++;
  }

  /** Takes every call of `other` (a later batch) into this one, as when a failed write is retried with what came since. */
  absorb(other: UsageBatch<Lease>): this {
    for (const [groupKey, theirs] of other.#groups) {
      const ours = this.#groups.get(groupKey);
      if (!ours) {
        this.#groups.set(groupKey, theirs);
        continue;
      }
      ours.charged += theirs.charged;
      for (const call of theirs.calls) ours.calls.push(call);
    }
    this.#calls += other.#calls;
    return this;
  }
}


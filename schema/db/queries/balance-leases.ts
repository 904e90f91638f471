import { sql, type Kysely } from 'kysely';
import type { Database } from '../types.ts';
import { formatAmount, type Amount } from '../amount.ts';
import type { UsageCalls } from '../usage-calls.ts';

/** The advisory-lock key a lease holder keeps for as long as it lives. */
export const holderLockKey = (holder: string) => sql<string>`hashtextextended(${'ai-balance-lease:' + holder}, 0)`;

/**
 * Moves `fraction` of the project's unleased balance (but at least `atLeast`) into the lease,
 * opening it if new; nothing when less than `atLeast` is there. One statement with the balance
 * row locked, so two holders can never take the same money. Returns what was taken ('0' when
 * nothing) and the unleased balance that was there before.
 */
export async function takeLease(
  db: Kysely<Database>,
  lease: { id: string; projectId: string; holder: string; fraction: number; atLeast: string },
): Promise<{ taken: string; unleasedBefore: string }> {
  const result = await sql<{ taken: string | null; unleased_before: string | null }>`
    with current as (
      select balance from project_balances where project_id = ${lease.projectId} for update
    ), taken as (
      update project_balances b set balance = b.balance - least(c.balance, greatest(${lease.atLeast}::numeric, round(c.balance * ${lease.fraction}::numeric, 12))), updated_at = now()
      from current c
      where b.project_id = ${lease.projectId} and c.balance >= ${lease.atLeast}::numeric and c.balance > 0
      returning least(c.balance, greatest(${lease.atLeast}::numeric, round(c.balance * ${lease.fraction}::numeric, 12))) as amount
    ), opened as (
      insert into balance_leases (id, project_id, holder, amount)
      select ${lease.id}, ${lease.projectId}, ${lease.holder}, amount from taken
      on conflict (id) do update set amount = balance_leases.amount + excluded.amount, updated_at = now()
    )
    select (select amount::text from taken) as taken, (select balance::text from current) as unleased_before
  `.execute(db);
  const row = result.rows[0];
  return { taken: row?.taken ?? '0', unleasedBefore: row?.unleased_before ?? '0' };
}

/**
 * Gives `amount` of an open lease back to the unleased balance, closing the lease when asked.
 * A lease already closed (reclaimed after its holder was thought dead) gives nothing: its
 * unspent part went back when it was closed.
 */
export async function returnLease(db: Kysely<Database>, lease: { id: string; amount: string; close: boolean }): Promise<void> {
  await sql`
    with given as (
      update balance_leases set amount = amount - ${lease.amount}::numeric, updated_at = now(),
             closed_at = case when ${lease.close} then now() else null end
      where id = ${lease.id} and closed_at is null
      returning project_id
    )
    update project_balances set balance = balance + ${lease.amount}::numeric, updated_at = now()
    where project_id = (select project_id from given)
  `.execute(db);
}

/**
 * Settled calls sharing a lease (none for calls that cost nothing), key, primitive, model and
 * unit, with each call's own fields in `calls`.
 */
export interface ChargeGroup {
  leaseId: string | null;
  projectId: string;
  keyId: string;
  primitive: string;
  model: string | null;
  unit: string;
  /** The group's counts were made by the service, not reported by the model. */
  estimated: boolean;
  /** What the group's calls cost together. */
  charged: Amount;
  calls: UsageCalls;
}

/**
 * Records a batch of settled calls in one statement (atomic without a transaction, one round
 * trip whatever the batch holds): their usage (a row per group, an array per field), what each
 * lease spent, and the ledger's usage entries (one per project and key). A charge against a
 * lease that was closed meanwhile is taken from the unleased balance, which got that lease's
 * money back. Every list goes as one array parameter, so the statement's text never changes.
 */
export async function recordCharges(db: Kysely<Database>, groups: Iterable<ChargeGroup>): Promise<void> {
  const usage = { projectId: [] as string[], keyId: [] as string[], primitive: [] as string[], model: [] as (string | null)[], unit: [] as string[], estimated: [] as boolean[] };
  const literals = { inputUnits: [] as string[], outputUnits: [] as string[], charged: [] as string[], latencyMs: [] as string[], status: [] as string[], requestId: [] as string[] };
  const perLease = new Map<string, { projectId: string; charged: Amount }>();
  const perKey = new Map<string, { projectId: string; keyId: string; charged: Amount; calls: number }>();
  for (const group of groups) {
    if (group.calls.length === 0) continue;
    usage.projectId.push(group.projectId);
    usage.keyId.push(group.keyId);
    usage.primitive.push(group.primitive);
    usage.model.push(group.model);
    usage.unit.push(group.unit);
    usage.estimated.push(group.estimated);
    const columns = group.calls.toArrayLiterals();
    for (const name of Object.keys(literals) as (keyof typeof literals)[]) literals[name].push(columns[name]);
    if (group.leaseId) {
      const lease = perLease.get(group.leaseId) ?? { projectId: group.projectId, charged: 0n };
      lease.charged += group.charged;
      perLease.set(group.leaseId, lease);
    }
    const key = perKey.get(group.keyId) ?? { projectId: group.projectId, keyId: group.keyId, charged: 0n, calls: 0 };
    key.charged += group.charged;
    key.calls += group.calls.length;
    perKey.set(group.keyId, key);
  }
  if (usage.projectId.length === 0) return;
  // Sums are exact: whole picotokens in bigints, written at the columns' 12 decimals.
  const spent = [...perLease].filter(([, lease]) => lease.charged > 0n);
  const entries = [...perKey.values()].filter((key) => key.charged > 0n);
  // Each array literal is read by Postgres straight into its column (through JSON it cost twice
  // the CPU). Data-modifying CTEs all run, on one snapshot; `leased` says which leases were open.
  await sql`/* prepared: record-charges */
    with recorded as (
      insert into usage_record_groups (project_id, key_id, primitive, model, unit, estimated, input_units, output_units, charged_picotokens, latency_ms, status, request_id)
      select project_id, key_id, primitive, model, unit, estimated, input_units::bigint[], output_units::bigint[], charged_picotokens::numeric[],
             latency_ms::integer[], status::text[], request_id::text[]
      from unnest(${usage.projectId}::text[], ${usage.keyId}::text[], ${usage.primitive}::text[], ${usage.model}::text[], ${usage.unit}::text[],
                  ${usage.estimated}::boolean[], ${literals.inputUnits}::text[], ${literals.outputUnits}::text[], ${literals.charged}::text[],
                  ${literals.latencyMs}::text[], ${literals.status}::text[], ${literals.requestId}::text[])
        as g(project_id, key_id, primitive, model, unit, estimated, input_units, output_units, charged_picotokens, latency_ms, status, request_id)
    ), spent as (
      select * from unnest(${spent.map(([leaseId]) => leaseId)}::text[], ${spent.map(([, lease]) => lease.projectId)}::text[],
                           ${spent.map(([, lease]) => formatAmount(lease.charged))}::numeric[]) as s(lease_id, project_id, amount)
    ), leased as (
      update balance_leases l set spent = l.spent + s.amount, updated_at = now()
      from spent s where l.id = s.lease_id and l.closed_at is null
      returning l.id
    ), unleased as (
      update project_balances b set balance = b.balance - c.amount, updated_at = now()
      from (select project_id, sum(amount) as amount from spent where lease_id not in (select id from leased) group by project_id) c
      where b.project_id = c.project_id
    ), entries as (
      insert into ledger_entries (project_id, kind, amount, key_id, note)
      select project_id, 'usage', amount, key_id, note
      from unnest(${entries.map((key) => key.projectId)}::text[], ${entries.map((key) => key.keyId)}::text[],
                  ${entries.map((key) => formatAmount(-key.charged))}::numeric[], ${entries.map((key) => `${key.calls} calls`)}::text[])
        as e(project_id, key_id, amount, note)
    )
    select 1
  `.execute(db);
}

/** Holders with open leases other than `self`: candidates to check for being alive. */
export async function listOtherHolders(db: Kysely<Database>, self: string): Promise<string[]> {
  const rows = await db.selectFrom('balance_leases').select('holder').distinct().where('closed_at', 'is', null).where('holder', '<>', self).execute();
  return rows.map((row) => row.holder);
}

/**
 * Closes the open leases of `holder` if it is dead, giving each lease's unspent part back. Dead
 * means its advisory lock is free: a live holder keeps it on a connection of its own. Returns
 * how many leases were reclaimed.
 */
export async function reclaimIfDead(db: Kysely<Database>, holder: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const lock = await sql<{ free: boolean }>`select pg_try_advisory_xact_lock(${holderLockKey(holder)}) as free`.execute(trx);
    if (!lock.rows[0]?.free) return 0;
    const closed = await sql<{ id: string }>`
      with open as (
        select id, project_id, amount - spent as unspent from balance_leases
        where holder = ${holder} and closed_at is null for update
      ), closed as (
        update balance_leases l set amount = l.spent, closed_at = now(), updated_at = now()
        from open o where l.id = o.id
        returning l.id
      ), given as (
        update project_balances b set balance = b.balance + r.unspent, updated_at = now()
        from (select project_id, sum(unspent) as unspent from open group by project_id) r
        where b.project_id = r.project_id
      )
      select id from closed
    `.execute(trx);
    return closed.rows.length;
  });
}

import { sql, type Kysely } from 'kysely';
import type { Insertable } from 'kysely';
import type { Database, UsageRecordGroupsTable } from '../types.ts';
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
  /** What the group's calls cost together. */
  charged: Amount;
  calls: UsageCalls;
}

/** Eleven parameters per group. */
const groupsPerStatement = 1000;

/**
 * Records a batch of settled calls in one transaction: their usage (a row per group, a column
 * array per field), the ledger's usage entries (one per project and key), and what each lease
 * spent. A charge against a lease that was closed meanwhile is taken from the unleased balance,
 * which got that lease's money back.
 */
export async function recordCharges(db: Kysely<Database>, groups: Iterable<ChargeGroup>): Promise<void> {
  const perLease = new Map<string, { projectId: string; charged: Amount }>();
  const perKey = new Map<string, { projectId: string; keyId: string; charged: Amount; calls: number }>();
  const rows: Insertable<UsageRecordGroupsTable>[] = [];
  for (const group of groups) {
    if (group.calls.length === 0) continue;
    const { projectId, keyId, primitive, model, unit } = group;
    rows.push({ project_id: projectId, key_id: keyId, primitive, model, unit, ...group.calls.toArrayLiterals() });
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
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    // Each array literal is its own parameter, read by Postgres straight into its column (through
    // JSON it cost twice the CPU); a statement stays well under Postgres's 65,535 parameters.
    for (let start = 0; start < rows.length; start += groupsPerStatement) {
      await trx.insertInto('usage_record_groups').values(rows.slice(start, start + groupsPerStatement)).execute();
    }
    // Sums are exact: whole picotokens in bigints, written at the columns' 12 decimals.
    for (const [leaseId, lease] of perLease) {
      const amount = formatAmount(lease.charged);
      await sql`
        with spent as (
          update balance_leases set spent = spent + ${amount}::numeric, updated_at = now()
          where id = ${leaseId} and closed_at is null
          returning id
        )
        update project_balances set balance = balance - ${amount}::numeric, updated_at = now()
        where project_id = ${lease.projectId} and not exists (select 1 from spent)
      `.execute(trx);
    }
    for (const key of perKey.values()) {
      if (key.charged <= 0n) continue;
      await sql`
        insert into ledger_entries (project_id, kind, amount, key_id, note)
        values (${key.projectId}, 'usage', ${formatAmount(-key.charged)}::numeric, ${key.keyId}, ${`${key.calls} calls`})
      `.execute(trx);
    }
  });
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

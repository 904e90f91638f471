import { sql, type Kysely } from 'kysely';
import type { Database } from '../types.ts';
import { parseAmount } from '../amount.ts';

/** The columns' numeric text (all at 12 decimals) compared exactly. */
const sameAmount = (left: string, right: string) => parseAmount(left) === parseAmount(right);

/** What a project's books say, each figure from its own table, and where they disagree. */
export interface Reconciliation {
  projectId: string;
  since: string;
  until: string;
  /** The unleased balance plus every open lease's unspent part. */
  balance: string;
  /** Every ledger entry ever (grants and usage): always equal to the balance. */
  ledgerSum: string;
  /** Usage ledger entries in the period, as a positive amount. */
  usageEntries: string;
  /** The usage records' charges in the period: always equal to the usage entries. */
  usageRecords: string;
  usageRecordCount: number;
  openLeases: number;
  /** Closed leases whose `amount` is not what they spent (a closed lease gave the rest back). */
  unbalancedClosedLeases: number;
  differences: string[];
}

/**
 * Checks a project's books for a period: the balance against the ledger's sum (all time), the
 * usage entries against the usage records (the period: both are written by the same statement,
 * with the same time), and the lease table's own invariant. A difference is a bug or an edit by hand.
 */
export async function reconcileProject(db: Kysely<Database>, projectId: string, period: { since: Date; until: Date }): Promise<Reconciliation> {
  const { since, until } = period;
  const result = await sql<{
    balance: string;
    ledger_sum: string;
    usage_entries: string;
    usage_records: string;
    usage_record_count: number;
    open_leases: number;
    unbalanced_closed_leases: number;
  }>`
    select
      (coalesce((select balance from project_balances where project_id = ${projectId}), 0)
        + coalesce((select sum(amount - spent) from balance_leases where project_id = ${projectId} and closed_at is null), 0))::text as balance,
      (select coalesce(sum(amount), 0) from ledger_entries where project_id = ${projectId})::text as ledger_sum,
      (select coalesce(-sum(amount), 0) from ledger_entries
        where project_id = ${projectId} and kind = 'usage' and created_at >= ${since} and created_at < ${until})::text as usage_entries,
      (select coalesce(sum(tokens_charged), 0) from usage_records
        where project_id = ${projectId} and created_at >= ${since} and created_at < ${until})::text as usage_records,
      (select count(*) from usage_records where project_id = ${projectId} and created_at >= ${since} and created_at < ${until})::int as usage_record_count,
      (select count(*) from balance_leases where project_id = ${projectId} and closed_at is null)::int as open_leases,
      (select count(*) from balance_leases where project_id = ${projectId} and closed_at is not null and amount <> spent)::int as unbalanced_closed_leases
  `.execute(db);
  const row = result.rows[0]!;
  const differences: string[] = [];
  if (!sameAmount(row.balance, row.ledger_sum)) differences.push(`balance ${row.balance} differs from the ledger's sum ${row.ledger_sum}`);
  if (!sameAmount(row.usage_entries, row.usage_records)) {
    differences.push(`usage ledger entries ${row.usage_entries} differ from the usage records' charges ${row.usage_records} in the period`);
  }
  if (row.unbalanced_closed_leases > 0) differences.push(`${row.unbalanced_closed_leases} closed leases whose amount is not what they spent`);
  return {
    projectId,
    since: since.toISOString(),
    until: until.toISOString(),
    balance: row.balance,
    ledgerSum: row.ledger_sum,
    usageEntries: row.usage_entries,
    usageRecords: row.usage_records,
    usageRecordCount: row.usage_record_count,
    openLeases: row.open_leases,
    unbalancedClosedLeases: row.unbalanced_closed_leases,
    differences,
  };
}

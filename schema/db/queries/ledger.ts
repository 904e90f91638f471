import { sql, type Kysely } from 'kysely';
import type { Database, LedgerEntry, UsageRecord } from '../types.ts';
import type { Amount } from '../amount.ts';

/** A grant and the balance it raises, in one statement. */
export async function insertGrant(
  db: Kysely<Database>,
  grant: { projectId: string; amount: string; note?: string | undefined },
): Promise<LedgerEntry> {
  const result = await sql<LedgerEntry>`
    with balance as (
      insert into project_balances (project_id, balance) values (${grant.projectId}, ${grant.amount})
      on conflict (project_id) do update set balance = project_balances.balance + excluded.balance, updated_at = now()
    )
    insert into ledger_entries (project_id, kind, amount, note) values (${grant.projectId}, 'grant', ${grant.amount}, ${grant.note ?? null})
    returning *
  `.execute(db);
  return result.rows[0]!;
}

/**
 * The project's balance: the unleased part plus what its open leases have not spent. Charges a
 * holder has settled but not yet flushed (a fraction of a second's worth) are still in it.
 */
export async function findBalance(db: Kysely<Database>, projectId: string): Promise<string> {
  const result = await sql<{ balance: string }>`
    select (coalesce((select balance from project_balances where project_id = ${projectId}), 0)
          + coalesce((select sum(amount - spent) from balance_leases where project_id = ${projectId} and closed_at is null), 0))::text as balance
  `.execute(db);
  return result.rows[0]?.balance ?? '0';
}

/** The ledger's own sum; equals project_balances.balance (checked by tests). */
export async function sumLedger(db: Kysely<Database>, projectId: string): Promise<string> {
  const row = await db
    .selectFrom('ledger_entries')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('balance'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return row.balance;
}

export interface UsageInput {
  projectId: string;
  keyId: string;
  primitive: string;
  model: string | null;
  inputUnits: number;
  outputUnits: number;
  unit: string;
  /** The counts were made by the service (no usage reported, no tokenizer for the model), not reported by the model. */
  estimated: boolean;
  /** What the call cost, in picotokens. */
  charged: Amount;
  latencyMs: number;
  status: string;
  requestId: string;
}

/** The project's last `limit` calls, newest first: found through its last `limit` groups (each holds at least one call). */
export async function listRecentUsage(db: Kysely<Database>, projectId: string, limit: number): Promise<UsageRecord[]> {
  const recentGroups = db.selectFrom('usage_record_groups').select('id').where('project_id', '=', projectId).orderBy('id', 'desc').limit(limit);
  return db
    .selectFrom('usage_records')
    .selectAll()
    .where('group_id', 'in', recentGroups)
    .orderBy('group_id', 'desc')
    .orderBy('position', 'desc')
    .limit(limit)
    .execute();
}

import { sql, type Kysely } from 'kysely';
import type { Database, LedgerEntry, UsageRecord } from '../types.ts';

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

export async function findBalance(db: Kysely<Database>, projectId: string): Promise<string> {
  const row = await db.selectFrom('project_balances').select('balance').where('project_id', '=', projectId).executeTakeFirst();
  return row?.balance ?? '0';
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

/**
 * Takes `amount` from the balance if it covers it, and records the reservation, in one atomic
 * statement: the row lock on the balance serialises concurrent reservations, so a project can never
 * reserve more than it has. Returns whether it was reserved and the balance before.
 */
export async function reserveTokens(
  db: Kysely<Database>,
  reservation: { id: string; projectId: string; keyId: string; amount: string },
): Promise<{ reserved: boolean; balance: string }> {
  const result = await sql<{ reserved: boolean; balance: string | null }>`
    with taken as (
      update project_balances set balance = balance - ${reservation.amount}::numeric, updated_at = now()
      where project_id = ${reservation.projectId} and balance >= ${reservation.amount}::numeric
      returning balance
    ), entry as (
      insert into ledger_entries (project_id, kind, amount, reservation_id, key_id)
      select ${reservation.projectId}, 'reservation', -${reservation.amount}::numeric, ${reservation.id}, ${reservation.keyId} from taken
    )
    select exists (select 1 from taken) as reserved,
           (select balance::text from project_balances where project_id = ${reservation.projectId}) as balance
  `.execute(db);
  const row = result.rows[0]!;
  return { reserved: row.reserved, balance: row.balance ?? '0' };
}

export interface UsageInput {
  projectId: string;
  keyId: string;
  primitive: string;
  model: string | null;
  inputUnits: number;
  outputUnits: number;
  unit: string;
  tokensCharged: string;
  latencyMs: number;
  status: string;
  requestId: string;
}

/**
 * Settles a call: gives back the unused part of its reservation (if any) and records its usage,
 * in one statement.
 */
export async function settleAndRecordUsage(
  db: Kysely<Database>,
  settlement: { reservationId: string | null; release: string; usage: UsageInput },
): Promise<void> {
  const { usage } = settlement;
  await sql`
    with released as (
      update project_balances set balance = balance + ${settlement.release}::numeric, updated_at = now()
      where project_id = ${usage.projectId} and ${settlement.release}::numeric > 0 and ${settlement.reservationId}::text is not null
      returning project_id
    ), entry as (
      insert into ledger_entries (project_id, kind, amount, reservation_id, key_id)
      select ${usage.projectId}, 'release', ${settlement.release}::numeric, ${settlement.reservationId}, ${usage.keyId} from released
    )
    insert into usage_records (project_id, key_id, primitive, model, input_units, output_units, unit, tokens_charged, latency_ms, status, request_id)
    values (${usage.projectId}, ${usage.keyId}, ${usage.primitive}, ${usage.model}, ${usage.inputUnits}, ${usage.outputUnits}, ${usage.unit},
            ${usage.tokensCharged}::numeric, ${usage.latencyMs}, ${usage.status}, ${usage.requestId})
  `.execute(db);
}

export async function listRecentUsage(db: Kysely<Database>, projectId: string, limit: number): Promise<UsageRecord[]> {
  return db.selectFrom('usage_records').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(limit).execute();
}

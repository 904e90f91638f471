import { sql, type Kysely } from 'kysely';
import type { Database, LedgerEntry } from '../types.ts';

export async function insertGrant(
  db: Kysely<Database>,
  grant: { projectId: string; amount: string; note?: string | undefined },
): Promise<LedgerEntry> {
  return db
    .insertInto('ledger_entries')
    .values({ project_id: grant.projectId, kind: 'grant', amount: grant.amount, note: grant.note ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The project's balance as an exact decimal string. */
export async function sumBalance(db: Kysely<Database>, projectId: string): Promise<string> {
  const row = await db
    .selectFrom('ledger_entries')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('balance'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return row.balance;
}

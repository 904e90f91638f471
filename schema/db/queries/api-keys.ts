import { sql, type Kysely } from 'kysely';
import type { ApiKey, Database, NewApiKey } from '../types.ts';

export type ApiKeySummary = Omit<ApiKey, 'key_hash'>;

const summaryColumns = ['id', 'project_id', 'name', 'display_prefix', 'scopes', 'created_at', 'revoked_at'] as const;

export async function insertApiKey(db: Kysely<Database>, key: NewApiKey): Promise<ApiKeySummary> {
  return db.insertInto('api_keys').values(key).returning(summaryColumns).executeTakeFirstOrThrow();
}

/** The active key with this hash, if any; revoked keys are not returned. */
export async function findActiveApiKeyByHash(db: Kysely<Database>, keyHash: string): Promise<ApiKeySummary | undefined> {
  return db
    .selectFrom('api_keys')
    .select(summaryColumns)
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Database>, projectId?: string): Promise<ApiKeySummary[]> {
  let query = db.selectFrom('api_keys').select(summaryColumns).orderBy('created_at');
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  return query.execute();
}

/** Replicas LISTEN here to evict a revoked key from their caches. */
export const apiKeyRevokedChannel = 'api_key_revoked';

/**
 * Marks the key revoked and tells every replica, in one transaction. Returns false when the key
 * is unknown or already revoked.
 */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('key_hash')
      .executeTakeFirst();
    if (!revoked) return false;
    await sql`select pg_notify(${apiKeyRevokedChannel}, ${revoked.key_hash})`.execute(trx);
    return true;
  });
}

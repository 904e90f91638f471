import { sql, type Kysely } from 'kysely';
import type { ApiKey, Database, NewApiKey } from '../types.ts';

export type ApiKeySummary = Omit<ApiKey, 'key_hash'>;

const summaryColumns = [
  'id',
  'project_id',
  'name',
  'display_prefix',
  'scopes',
  'created_at',
  'revoked_at',
  'requests_per_minute',
  'tokens_per_minute',
] as const;

export async function insertApiKey(db: Kysely<Database>, key: NewApiKey): Promise<ApiKeySummary> {
  return db.insertInto('api_keys').values(key).returning(summaryColumns).executeTakeFirstOrThrow();
}

function selectActiveKeys(db: Kysely<Database>) {
  return db
    .selectFrom('api_keys')
    .innerJoin('projects', 'projects.id', 'api_keys.project_id')
    .select(summaryColumns.map((column) => `api_keys.${column}` as const))
    .select(['projects.requests_per_minute as project_requests_per_minute', 'projects.tokens_per_minute as project_tokens_per_minute'])
    // What a revocation's NOTIFY names the key by, so that caches keyed otherwise can evict it too.
    .select('api_keys.key_hash')
    .where('api_keys.revoked_at', 'is', null);
}

/** The active key with this hash and its project's default limits; revoked keys are not returned. */
export async function findActiveApiKeyByHash(db: Kysely<Database>, keyHash: string) {
  return selectActiveKeys(db).where('api_keys.key_hash', '=', keyHash).executeTakeFirst();
}

/** The same, by id: a background run re-reads the key that submitted it. */
export async function findActiveApiKeyById(db: Kysely<Database>, id: string) {
  return selectActiveKeys(db).where('api_keys.id', '=', id).executeTakeFirst();
}

export type ActiveApiKey = NonNullable<Awaited<ReturnType<typeof findActiveApiKeyByHash>>>;

/** Per-key limits; null falls back to the project's, then to the configured default. */
export async function setApiKeyLimits(
  db: Kysely<Database>,
  id: string,
  limits: { requestsPerMinute?: number | null | undefined; tokensPerMinute?: number | null | undefined },
): Promise<boolean> {
  if (limits.requestsPerMinute === undefined && limits.tokensPerMinute === undefined) {
    return (await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }
  const result = await db
    .updateTable('api_keys')
    .set({
      ...(limits.requestsPerMinute === undefined ? {} : { requests_per_minute: limits.requestsPerMinute }),
      ...(limits.tokensPerMinute === undefined ? {} : { tokens_per_minute: limits.tokensPerMinute }),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
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

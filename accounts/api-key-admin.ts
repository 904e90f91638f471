import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema/db/types.ts';
import { insertApiKey, type ApiKeySummary } from '../schema/db/queries/api-keys.ts';
import { countProjects, insertProject } from '../schema/db/queries/projects.ts';
import { insertGrant } from '../schema/db/queries/ledger.ts';
import { createId } from '../schema/db/ids.ts';
import { createApiKeySecret, displayPrefixOf, hashApiKey } from './api-key-material.ts';
import { scopes as allScopes, type Scope } from './scopes.ts';

export interface IssuedApiKey {
  /** The key itself: returned once, never stored. */
  secret: string;
  key: ApiKeySummary;
}

export async function issueApiKey(
  db: Kysely<Database>,
  options: { projectId: string; name: string; scopes: readonly Scope[] },
): Promise<IssuedApiKey> {
  const secret = createApiKeySecret();
  const key = await insertApiKey(db, {
    id: createId('key'),
    project_id: options.projectId,
    name: options.name,
    display_prefix: displayPrefixOf(secret),
    key_hash: hashApiKey(secret),
    scopes: [...options.scopes],
  });
  return { secret, key };
}

/**
 * On an empty database, creates the default project and one key with every scope. Replicas
 * booting together serialise on an advisory lock, so exactly one of them creates it.
 */
export async function bootstrapDefaultProject(db: Kysely<Database>, tokenGrant: string): Promise<IssuedApiKey | undefined> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('ai-primitives:bootstrap'))`.execute(trx);
    if ((await countProjects(trx)) > 0) return undefined;
    const project = await insertProject(trx, 'default');
    if (Number(tokenGrant) > 0) await insertGrant(trx, { projectId: project.id, amount: tokenGrant, note: 'first boot' });
    return issueApiKey(trx, { projectId: project.id, name: 'bootstrap', scopes: allScopes });
  });
}

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema/db/types.ts';
import { insertProject, setProjectLimits } from '../../schema/db/queries/projects.ts';
import { insertGrant } from '../../schema/db/queries/ledger.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import type { Scope } from '../../accounts/scopes.ts';

/**
 * A project granted `grant` tokens (and its own requests and tokens per minute, if given) and its key, written straight into the database that
 * servers in other processes use (as `npm run admin` would).
 */
export async function provisionKey(
  databaseUrl: string,
  name: string,
  options: { scopes?: Scope[]; grant?: string; requestsPerMinute?: number; tokensPerMinute?: number } = {},
): Promise<{ secret: string; keyId: string }> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
  try {
    const project = await insertProject(db, name);
    await insertGrant(db, { projectId: project.id, amount: options.grant ?? '1000' });
    await setProjectLimits(db, project.id, { requestsPerMinute: options.requestsPerMinute, tokensPerMinute: options.tokensPerMinute });
    const issued = await issueApiKey(db, { projectId: project.id, name, scopes: options.scopes ?? ['ai:read', 'ai:generate'] });
    return { secret: issued.secret, keyId: issued.key.id };
  } finally {
    await db.destroy();
  }
}

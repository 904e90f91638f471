import { sql, type Kysely } from 'kysely';
import type { Database, RealtimeSession } from '../types.ts';

export async function insertRealtimeSession(
  db: Kysely<Database>,
  session: { id: string; projectId: string; keyId: string; model: string; upstreamModel: string; secretHash: string; settings: Record<string, unknown>; expiresAt: Date },
): Promise<RealtimeSession> {
  return db
    .insertInto('realtime_sessions')
    .values({
      id: session.id,
      project_id: session.projectId,
      key_id: session.keyId,
      model: session.model,
      upstream_model: session.upstreamModel,
      secret_hash: session.secretHash,
      settings: JSON.stringify(session.settings),
      expires_at: session.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Claims the session a client secret opens: only while it has not expired and only once. Two
 * connects racing with one secret: exactly one gets the session.
 */
export async function claimRealtimeSession(db: Kysely<Database>, secretHash: string): Promise<RealtimeSession | undefined> {
  return db
    .updateTable('realtime_sessions')
    .set({ connected_at: sql`now()` })
    .where('secret_hash', '=', secretHash)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('connected_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

import type { Kysely } from 'kysely';
import type { Database, StoredResponse } from '../types.ts';

export async function insertStoredResponse(
  db: Kysely<Database>,
  stored: { id: string; projectId: string; response: unknown; inputItems: unknown[]; conversation: unknown[] },
): Promise<void> {
  await db
    .insertInto('stored_responses')
    .values({
      id: stored.id,
      project_id: stored.projectId,
      response: JSON.stringify(stored.response),
      input_items: JSON.stringify(stored.inputItems),
      conversation: JSON.stringify(stored.conversation),
    })
    // A background response is stored queued, then again when its run finishes.
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ response: JSON.stringify(stored.response) }))
    .execute();
}

/** Another project's response is as unknown as a missing one. */
export async function findStoredResponse(db: Kysely<Database>, projectId: string, id: string): Promise<StoredResponse | undefined> {
  return db.selectFrom('stored_responses').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
}

export async function deleteStoredResponse(db: Kysely<Database>, projectId: string, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom('stored_responses').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

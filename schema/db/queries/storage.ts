import { sql, type Kysely } from 'kysely';
import type { Database, StorageBucket, StorageObject } from '../types.ts';
import { createId } from '../ids.ts';

export async function insertBucket(db: Kysely<Database>, projectId: string, name: string): Promise<StorageBucket | undefined> {
  return db
    .insertInto('storage_buckets')
    .values({ id: createId('sb'), project_id: projectId, name })
    .onConflict((conflict) => conflict.columns(['project_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function listBuckets(db: Kysely<Database>, projectId: string): Promise<StorageBucket[]> {
  return db.selectFrom('storage_buckets').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute();
}

export async function findBucket(db: Kysely<Database>, projectId: string, bucketId: string): Promise<StorageBucket | undefined> {
  return db.selectFrom('storage_buckets').selectAll().where('id', '=', bucketId).where('project_id', '=', projectId).executeTakeFirst();
}

export async function upsertObject(
  db: Kysely<Database>,
  object: { bucketId: string; key: string; contentType: string; size: number; sha256: string },
): Promise<StorageObject> {
  return db
    .insertInto('storage_objects')
    .values({ bucket_id: object.bucketId, key: object.key, content_type: object.contentType, size: object.size, sha256: object.sha256 })
    .onConflict((conflict) =>
      conflict.columns(['bucket_id', 'key']).doUpdateSet({
        content_type: object.contentType,
        size: object.size,
        sha256: object.sha256,
        updated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findObject(db: Kysely<Database>, bucketId: string, key: string): Promise<StorageObject | undefined> {
  return db.selectFrom('storage_objects').selectAll().where('bucket_id', '=', bucketId).where('key', '=', key).executeTakeFirst();
}

/** Keys in order, those starting with `prefix`, after `after` (for paging). */
export async function listObjects(
  db: Kysely<Database>,
  query: { bucketId: string; prefix: string; after: string | undefined; limit: number },
): Promise<StorageObject[]> {
  let select = db
    .selectFrom('storage_objects')
    .selectAll()
    .where('bucket_id', '=', query.bucketId)
    // starts_with avoids LIKE, whose % and _ a prefix may contain.
    .where(sql<boolean>`starts_with(key, ${query.prefix})`)
    .orderBy('key')
    .limit(query.limit);
  if (query.after !== undefined) select = select.where('key', '>', query.after);
  return select.execute();
}

export async function deleteObjectRow(db: Kysely<Database>, bucketId: string, key: string): Promise<boolean> {
  const deleted = await db.deleteFrom('storage_objects').where('bucket_id', '=', bucketId).where('key', '=', key).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/**
 * Runs `work` holding the object's advisory lock for a transaction: exclusive for writers (bytes
 * and metadata change together), shared for readers (they see one version of both). The lock is
 * keyed by a hash of bucket and key, so unrelated objects never wait on each other.
 */
export async function withObjectLock<T>(db: Kysely<Database>, bucketId: string, key: string, mode: 'write' | 'read', work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const lockKey = sql`hashtextextended(${`${bucketId}/${key}`}, 0)`;
    await (mode === 'write' ? sql`select pg_advisory_xact_lock(${lockKey})` : sql`select pg_advisory_xact_lock_shared(${lockKey})`).execute(trx);
    return work(trx);
  });
}

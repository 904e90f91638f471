import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ObjectStore } from './object-store.ts';
import { StorageError } from './storage-error.ts';
import type { Database, StorageObject } from '../../schema/db/types.ts';
import {
  deleteObjectRow,
  findBucket,
  findObject,
  insertBucket,
  listBuckets,
  listObjects,
  upsertObject,
  withObjectLock,
} from '../../schema/db/queries/storage.ts';

export interface StorageRef {
  bucket_id: string;
  key: string;
}

/** A result to store: raw bytes with their type (audio, images) or any JSON value. */
export type StorableResult = { bytes: Uint8Array; contentType: string } | { json: unknown };

const maxKeyBytes = 1024;

/**
 * Object keys are paths of segments: no empty, `.` or `..` segment, no leading `/`, no
 * backslash or control characters. The backends could not be escaped anyway (the filesystem
 * store hashes keys); refusing such keys keeps them portable and unambiguous.
 */
export function validateObjectKey(key: string, param = 'key'): string {
  const problem =
    key.length === 0
      ? 'must not be empty'
      : Buffer.byteLength(key) > maxKeyBytes
        ? `must be at most ${maxKeyBytes} bytes`
        : key.startsWith('/')
          ? 'must not start with "/"'
          : /[\u0000-\u001f\u007f\\]/.test(key)
            ? 'must not contain control characters or backslashes'
            : key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
              ? 'must not contain empty, "." or ".." segments'
              : undefined;
  if (problem) throw new StorageError('bad_request', `${param}: ${problem}`, param);
  return key;
}

export function toObjectWire(object: StorageObject) {
  return {
    bucket_id: object.bucket_id,
    key: object.key,
    content_type: object.content_type,
    size: Number(object.size),
    sha256: object.sha256,
    created_at: object.created_at.toISOString(),
    updated_at: object.updated_at.toISOString(),
  };
}

/** Buckets and objects owned by projects: metadata in Postgres, bytes in the object store. */
export class StorageService {
  readonly #db: Kysely<Database>;
  readonly #store: ObjectStore;
  readonly maxObjectBytes: number;

  constructor(options: { db: Kysely<Database>; store: ObjectStore; maxObjectBytes: number }) {
    this.#db = options.db;
    this.#store = options.store;
    this.maxObjectBytes = options.maxObjectBytes;
  }

  async createBucket(projectId: string, name: string) {
    const bucket = await insertBucket(this.#db, projectId, name);
    if (!bucket) throw new StorageError('conflict', `name: this project already has a bucket named "${name}"`, 'name');
    return bucket;
  }

  listBuckets(projectId: string) {
    return listBuckets(this.#db, projectId);
  }

  /** Another project's bucket is as unknown as a missing one. */
  async requireBucket(projectId: string, bucketId: string, param = 'bucket_id') {
    const bucket = await findBucket(this.#db, projectId, bucketId);
    if (!bucket) throw new StorageError('not_found', `${param}: no bucket "${bucketId}" in this project`, param);
    return bucket;
  }

  async putObject(projectId: string, ref: StorageRef, contentType: string, bytes: Uint8Array): Promise<StorageObject> {
    validateObjectKey(ref.key);
    if (bytes.byteLength > this.maxObjectBytes) {
      throw new StorageError('payload_too_large', `The object exceeds STORAGE_MAX_OBJECT_BYTES (${this.maxObjectBytes})`);
    }
    await this.requireBucket(projectId, ref.bucket_id);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Concurrent writers of one key take turns: the last one's bytes and metadata stay, whole.
    return withObjectLock(this.#db, ref.bucket_id, ref.key, 'write', async (trx) => {
      await this.#store.put(ref.bucket_id, ref.key, bytes);
      return upsertObject(trx, { bucketId: ref.bucket_id, key: ref.key, contentType, size: bytes.byteLength, sha256 });
    });
  }

  async headObject(projectId: string, ref: StorageRef, param = 'key'): Promise<StorageObject> {
    validateObjectKey(ref.key, param);
    await this.requireBucket(projectId, ref.bucket_id);
    const object = await findObject(this.#db, ref.bucket_id, ref.key);
    if (!object) throw new StorageError('not_found', `${param}: no object "${ref.key}" in bucket ${ref.bucket_id}`, param);
    return object;
  }

  async getObject(projectId: string, ref: StorageRef, param = 'key'): Promise<{ object: StorageObject; bytes: Buffer }> {
    validateObjectKey(ref.key, param);
    await this.requireBucket(projectId, ref.bucket_id);
    // Metadata and bytes of the same version: no writer of this key runs in between.
    return withObjectLock(this.#db, ref.bucket_id, ref.key, 'read', async (trx) => {
      const object = await findObject(trx, ref.bucket_id, ref.key);
      if (!object) throw new StorageError('not_found', `${param}: no object "${ref.key}" in bucket ${ref.bucket_id}`, param);
      const bytes = await this.#store.get(ref.bucket_id, ref.key);
      if (!bytes) throw new StorageError('not_found', `${param}: the bytes of "${ref.key}" are missing from the store`, param);
      return { object, bytes };
    });
  }

  async listObjects(projectId: string, query: { bucketId: string; prefix: string; after: string | undefined; limit: number }) {
    await this.requireBucket(projectId, query.bucketId);
    return listObjects(this.#db, query);
  }

  async deleteObject(projectId: string, ref: StorageRef): Promise<void> {
    validateObjectKey(ref.key);
    await this.requireBucket(projectId, ref.bucket_id);
    await withObjectLock(this.#db, ref.bucket_id, ref.key, 'write', async (trx) => {
      if (!(await deleteObjectRow(trx, ref.bucket_id, ref.key))) {
        throw new StorageError('not_found', `key: no object "${ref.key}" in bucket ${ref.bucket_id}`, 'key');
      }
      await this.#store.delete(ref.bucket_id, ref.key);
    });
  }

  /** Writes a primitive's result where the caller asked: JSON as JSON, bytes as themselves. */
  async writeResult(projectId: string, destination: StorageRef, result: StorableResult) {
    const { bytes, contentType } =
      'bytes' in result ? result : { bytes: Buffer.from(JSON.stringify(result.json)), contentType: 'application/json' };
    const object = await this.putObject(projectId, destination, contentType, bytes);
    return { bucket_id: object.bucket_id, key: object.key, content_type: object.content_type, size: Number(object.size) };
  }
}

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from './object-store.ts';

const bucketIdPattern = /^sb_[0-9A-Za-z]+$/;

/**
 * Objects on the local filesystem under DATA_DIR/storage/<bucket>/<sha256 of key>. The file name
 * is a hash, so no key (`../x`, `/etc/passwd`, `%2e%2e/`) can reach outside the bucket folder,
 * and keys like `a` and `a/b` never collide as file and folder.
 */
export class FsObjectStore implements ObjectStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  #pathOf(bucketId: string, key: string): string {
    if (!bucketIdPattern.test(bucketId)) throw new Error(`Invalid bucket id ${JSON.stringify(bucketId)}`);
    return path.join(this.#root, bucketId, createHash('sha256').update(key).digest('hex'));
  }

  async put(bucketId: string, key: string, bytes: Uint8Array): Promise<void> {
    const target = this.#pathOf(bucketId, key);
    await mkdir(path.dirname(target), { recursive: true });
    // Write beside, then rename: a reader never sees half an object.
    const temporary = `${target}.${randomUUID()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, target);
  }

  async get(bucketId: string, key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#pathOf(bucketId, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(bucketId: string, key: string): Promise<void> {
    await rm(this.#pathOf(bucketId, key), { force: true });
  }
}

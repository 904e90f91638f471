import type { StorageConfig } from './settings.ts';
import { FsObjectStore } from './fs-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

export function createObjectStore(config: StorageConfig): ObjectStore {
  return config.backend === 's3' ? new S3ObjectStore(config) : new FsObjectStore(config.directory);
}

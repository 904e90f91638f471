/** Where object bytes live; metadata (keys, sizes, content types) lives in Postgres. */
export interface ObjectStore {
  put(bucketId: string, key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or undefined when the backend has none. */
  get(bucketId: string, key: string): Promise<Buffer | undefined>;
  delete(bucketId: string, key: string): Promise<void>;
}

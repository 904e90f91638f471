/** What a storage call can refuse, in the terms router/errors.ts maps to statuses. */
export type StorageErrorKind = 'bad_request' | 'not_found' | 'conflict' | 'payload_too_large';

/** A refusal by the storage service, naming the request field at fault. */
export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  readonly param: string | undefined;

  constructor(kind: StorageErrorKind, message: string, param?: string) {
    super(message);
    this.name = 'StorageError';
    this.kind = kind;
    this.param = param;
  }
}

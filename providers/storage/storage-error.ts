import { ProviderError, type ProviderErrorKind } from '../spec/provider-error.ts';

/** What a storage call can refuse. */
export type StorageErrorKind = 'bad_request' | 'not_found' | 'conflict' | 'payload_too_large';

const providerKindOf = { bad_request: 'invalid_request', not_found: 'not_found', conflict: 'conflict', payload_too_large: 'too_large' } as const satisfies Record<
  StorageErrorKind,
  ProviderErrorKind
>;

/** A refusal by the storage service, naming the request field at fault. */
export class StorageError extends ProviderError {
  constructor(kind: StorageErrorKind, message: string, param?: string) {
    super(providerKindOf[kind], message, param === undefined ? {} : { param });
    this.name = 'StorageError';
  }
}

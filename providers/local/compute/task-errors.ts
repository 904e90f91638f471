import { ProviderError, type ProviderErrorKind } from '../../spec/provider-error.ts';

/**
 * Errors cross the thread boundary as plain data (structured clone keeps no classes): the worker
 * describes what it threw, the pool rebuilds a ProviderError of the same kind and field (a
 * DocumentError is one), so callers see one error model.
 */
export type TaskFailure =
  | { type: 'provider'; kind: ProviderErrorKind; message: string; param?: string | undefined; retryAfterSeconds?: number | undefined }
  | { type: 'other'; message: string };

export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; failure: TaskFailure };

export function describeTaskFailure(error: unknown): TaskFailure {
  if (error instanceof ProviderError) {
    return { type: 'provider', kind: error.kind, message: error.message, param: error.param, retryAfterSeconds: error.retryAfterSeconds };
  }
  return { type: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function rebuildTaskFailure(failure: TaskFailure): Error {
  switch (failure.type) {
    case 'provider':
      return new ProviderError(failure.kind, failure.message, {
        ...(failure.param === undefined ? {} : { param: failure.param }),
        ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
      });
    case 'other':
      return new Error(failure.message);
  }
}

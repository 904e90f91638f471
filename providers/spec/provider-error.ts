/**
 * A failure of a provider (a model, an upstream, the document parser, the object store),
 * described by what the caller should make of it. The API maps each kind to a status
 * (router/errors.ts) without knowing which provider failed; an upstream's status is kept as data.
 */
export type ProviderErrorKind =
  /** The request cannot succeed as sent (upstream 400/404/413/422, unsupported setting): 400. */
  | 'invalid_request'
  /** The upstream limits us; retry later (keeps its Retry-After): 429. */
  | 'rate_limited'
  /** The upstream failed or refused the service's own credentials: 502. */
  | 'bad_gateway'
  /** No answer in time: 504. */
  | 'timeout'
  /** Local capacity is exhausted (queue full): 503. */
  | 'unavailable'
  /** The input is beyond what the model can take (its size, or the memory its work needs): 413. */
  | 'too_large'
  /** The input is of a type no provider here reads: 415. */
  | 'unsupported'
  /** The thing the request names does not exist: 404. */
  | 'not_found'
  /** The request contradicts what exists (a name already taken): 409. */
  | 'conflict';

/** What may succeed if tried again later; the rest says something about the request itself. */
const transientKinds: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'bad_gateway', 'timeout', 'unavailable']);

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly upstreamStatus: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly param: string | undefined;
  /** Whether the same call may succeed later: limits, timeouts, capacity and upstream failures, but not refused credentials. */
  readonly retryable: boolean;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { upstreamStatus?: number; retryAfterSeconds?: number; param?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.upstreamStatus = options.upstreamStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.param = options.param;
    const refusedCredentials = options.upstreamStatus === 401 || options.upstreamStatus === 403;
    this.retryable = options.retryable ?? (transientKinds.has(kind) && !refusedCredentials);
  }
}

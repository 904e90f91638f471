/** What every failure the service answers carries, whichever tree (native or OpenAI-compatible) answered it. */
export interface ApiErrorFields {
  status: number;
  /** The service's error code: `bad_request`, `not_found`, `rate_limited`, ... (OpenAI's `code` or `type` on `/v1/*`). */
  code: string;
  message: string;
  /** The id the service logged the request under (the body's `request_id`, else the `x-request-id` header). */
  requestId: string | null;
  /** The request field at fault, when the service names one. */
  param: string | null;
  details: unknown;
  /** Seconds the service asked to wait (`Retry-After`), if it did. */
  retryAfterSeconds: number | null;
}

/** An error answer from the service. Subclasses by status make `instanceof` checks read well. */
export class ApiError extends Error implements ApiErrorFields {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly param: string | null;
  readonly details: unknown;
  readonly retryAfterSeconds: number | null;

  constructor(fields: ApiErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.param = fields.param;
    this.details = fields.details;
    this.retryAfterSeconds = fields.retryAfterSeconds;
  }

  /** The snake_case spelling the service uses, for code that reads bodies and errors alike. */
  get request_id(): string | null {
    return this.requestId;
  }
}

export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
}
export class InsufficientTokensError extends ApiError {
  override name = 'InsufficientTokensError';
}
export class PermissionDeniedError extends ApiError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}
export class PayloadTooLargeError extends ApiError {
  override name = 'PayloadTooLargeError';
}
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
}
/** 5xx: the service, or the upstream it called, failed or is not configured for this. */
export class ServerError extends ApiError {
  override name = 'ServerError';
}

const byStatus: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: InsufficientTokensError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  429: RateLimitError,
};

export function apiErrorOf(fields: ApiErrorFields): ApiError {
  const ErrorClass = byStatus[fields.status] ?? (fields.status >= 500 ? ServerError : ApiError);
  return new ErrorClass(fields);
}

/** The request never got an answer: the connection failed or was refused. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** No answer within the request's `timeoutMs` (every retry included). */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** A stream that had started sent an error event (the generation failed midway). */
export class StreamError extends Error {
  override name = 'StreamError';
  readonly code: string;
  readonly param: string | null;

  constructor(code: string, message: string, param: string | null) {
    super(message);
    this.code = code;
    this.param = param;
  }
}

/** An operation waited on ended `failed` or `cancelled` rather than `succeeded`. */
export class OperationError extends Error {
  override name = 'OperationError';
  readonly operationId: string;
  readonly status: 'failed' | 'cancelled';
  readonly code: string;

  constructor(operationId: string, status: 'failed' | 'cancelled', code: string, message: string) {
    super(message);
    this.operationId = operationId;
    this.status = status;
    this.code = code;
  }
}

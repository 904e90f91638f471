export { createClient, type Client, type Call, type CallNow, type CallMaybeInBackground, type CallById, type OptionalInputCall, type Stream } from './client.js';
export type { ClientOptions, RequestOptions } from './http.js';
export type { CallName, StreamName, Input, Output, Immediate, Operation, StreamInput, StreamEvent } from './routes.js';
export type { Settled, WaitOptions } from './operations.js';
export type { BinaryAnswer } from './binary-answer.js';
export {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  InsufficientTokensError,
  NotFoundError,
  OperationError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
  type ApiErrorFields,
} from './errors.js';

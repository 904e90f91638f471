export { createClient, type Client } from './client.js';
export type {
  Call,
  CallNow,
  CallMaybeInBackground,
  CallById,
  OptionalInputCall,
  Stream,
  EventStream,
  CallOrStream,
  CallNowOrStream,
  CallOrStreamMaybeInBackground,
} from './resource-calls.js';
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

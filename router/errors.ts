import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../providers/spec/provider-error.ts';
import { isDatabaseUnavailable } from '../schema/db/unavailable.ts';
import { AccountError } from '../accounts/account-error.ts';

/**
 * The one table of error codes: native code → HTTP status, the tRPC code that carries it, and
 * the `type`/`code` pair OpenAI clients expect on `/v1`. Procedures throw ApiError with a native
 * code; nothing else sets a status.
 */
export const errorCodes = {
  bad_request: { status: 400, trpc: 'BAD_REQUEST', openAiType: 'invalid_request_error', openAiCode: 'invalid_value' },
  invalid_json: { status: 400, trpc: 'PARSE_ERROR', openAiType: 'invalid_request_error', openAiCode: 'invalid_json' },
  unauthorized: { status: 401, trpc: 'UNAUTHORIZED', openAiType: 'invalid_request_error', openAiCode: 'invalid_api_key' },
  insufficient_tokens: { status: 402, trpc: 'PAYMENT_REQUIRED', openAiType: 'insufficient_quota', openAiCode: 'insufficient_quota' },
  forbidden: { status: 403, trpc: 'FORBIDDEN', openAiType: 'permission_error', openAiCode: 'missing_scope' },
  not_found: { status: 404, trpc: 'NOT_FOUND', openAiType: 'invalid_request_error', openAiCode: 'not_found' },
  method_not_allowed: { status: 405, trpc: 'METHOD_NOT_SUPPORTED', openAiType: 'invalid_request_error', openAiCode: 'method_not_allowed' },
  request_timeout: { status: 408, trpc: 'TIMEOUT', openAiType: 'invalid_request_error', openAiCode: 'request_timeout' },
  conflict: { status: 409, trpc: 'CONFLICT', openAiType: 'invalid_request_error', openAiCode: 'conflict' },
  payload_too_large: { status: 413, trpc: 'PAYLOAD_TOO_LARGE', openAiType: 'invalid_request_error', openAiCode: 'payload_too_large' },
  unsupported_media_type: { status: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE', openAiType: 'invalid_request_error', openAiCode: 'unsupported_media_type' },
  rate_limited: { status: 429, trpc: 'TOO_MANY_REQUESTS', openAiType: 'requests', openAiCode: 'rate_limit_exceeded' },
  internal_error: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', openAiType: 'server_error', openAiCode: 'internal_error' },
  not_implemented: { status: 501, trpc: 'NOT_IMPLEMENTED', openAiType: 'server_error', openAiCode: 'not_implemented' },
  bad_gateway: { status: 502, trpc: 'BAD_GATEWAY', openAiType: 'server_error', openAiCode: 'upstream_error' },
  service_unavailable: { status: 503, trpc: 'SERVICE_UNAVAILABLE', openAiType: 'server_error', openAiCode: 'service_unavailable' },
  gateway_timeout: { status: 504, trpc: 'GATEWAY_TIMEOUT', openAiType: 'server_error', openAiCode: 'upstream_timeout' },
} as const satisfies Record<string, { status: number; trpc: TRPC_ERROR_CODE_KEY; openAiType: string; openAiCode: string }>;

export type ApiErrorCode = keyof typeof errorCodes;

export interface ApiErrorOptions {
  /** The request field at fault, dotted (`messages.0.content`). */
  param?: string | undefined;
  details?: unknown;
  /** Overrides the OpenAI `code` for this error (e.g. `model_not_found`). */
  openAiCode?: string | undefined;
  headers?: Record<string, string> | undefined;
  cause?: unknown;
}

export class ApiError extends TRPCError {
  readonly apiCode: ApiErrorCode;
  readonly param: string | undefined;
  readonly details: unknown;
  readonly openAiCode: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ApiErrorCode, message: string, options: ApiErrorOptions = {}) {
    // The name stays "TRPCError": trpc-to-openapi recognises thrown errors by name.
    super({ code: errorCodes[code].trpc, message, cause: options.cause });
    this.apiCode = code;
    this.param = options.param;
    this.details = options.details;
    this.openAiCode = options.openAiCode;
    this.headers = options.headers;
  }
}

/** A transport-neutral description of a failure, from which each tree builds its envelope. */
export interface ErrorDescription {
  code: ApiErrorCode;
  status: number;
  message: string;
  param: string | undefined;
  details: unknown;
  openAiCode: string | undefined;
  headers: Record<string, string> | undefined;
}

const codeByTrpcCode = new Map<string, ApiErrorCode>(
  Object.entries(errorCodes).map(([code, entry]) => [entry.trpc, code as ApiErrorCode]),
);

type PathedIssue = z.core.$ZodIssue & { path: PropertyKey[] };

const depthOf = (issues: PathedIssue[]) => Math.max(0, ...issues.map((issue) => issue.path.length));

/**
 * A union's failure as the failure of the member the value came closest to matching (the one
 * whose issues lie deepest), so the message names the real field: `input.0.content.1.file_id`,
 * not `input: Invalid input`.
 */
function flattenUnions(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): PathedIssue[] {
  return issues.flatMap((issue): PathedIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
    const branches = issue.errors.map((branch) => flattenUnions(branch, path));
    const closest = branches.reduce((best, branch) => (depthOf(branch) > depthOf(best) || (depthOf(branch) === depthOf(best) && branch.length < best.length) ? branch : best));
    return depthOf(closest) > path.length ? closest : [{ ...issue, path }];
  });
}

function describeZodIssues(issues: z.core.$ZodIssue[]): { message: string; param: string | undefined; details: unknown } {
  // An unknown field is named itself, as OpenAI does ("Unrecognized request argument supplied").
  const described = flattenUnions(issues).flatMap((issue): { field: string; message: string; code: string }[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path.map(String), key].join('.'), message: 'unknown field: not part of this API', code: issue.code }))
      : [{ field: issue.path.map(String).join('.') || '(body)', message: issue.message, code: issue.code }],
  );
  const first = described[0];
  return {
    message: described.map((issue) => `${issue.field}: ${issue.message}`).join('; ') || 'Invalid input',
    param: first && first.field !== '(body)' ? first.field : undefined,
    details: { issues: described },
  };
}

const codeByProviderErrorKind: Record<ProviderErrorKind, ApiErrorCode> = {
  invalid_request: 'bad_request',
  rate_limited: 'rate_limited',
  bad_gateway: 'bad_gateway',
  timeout: 'gateway_timeout',
  unavailable: 'service_unavailable',
  too_large: 'payload_too_large',
  unsupported: 'unsupported_media_type',
  not_found: 'not_found',
  conflict: 'conflict',
};

function describeProviderError(error: ProviderError): ErrorDescription {
  const code = codeByProviderErrorKind[error.kind];
  return {
    code,
    status: errorCodes[code].status,
    message: error.message,
    param: error.param,
    details: error.upstreamStatus === undefined ? undefined : { upstream_status: error.upstreamStatus },
    openAiCode: undefined,
    headers: error.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(error.retryAfterSeconds) },
  };
}

function describeAccountError(error: AccountError): ErrorDescription {
  const { param, details, openAiCode, headers } = error.options;
  return { code: error.code, status: errorCodes[error.code].status, message: error.message, param, details, openAiCode, headers };
}

/** The database (or the rate-limit store) is away: a 503 until it is back, never a 500. */
const databaseUnavailable: ErrorDescription = {
  code: 'service_unavailable',
  status: 503,
  message: 'The service cannot reach its database at the moment; retry shortly',
  param: undefined,
  details: undefined,
  openAiCode: undefined,
  headers: { 'Retry-After': '1' },
};

/** The errors of lower layers that carry their own meaning; tRPC wraps them as the cause. */
function describeDomainError(error: unknown): ErrorDescription | undefined {
  if (error instanceof AccountError) return describeAccountError(error);
  if (error instanceof ProviderError) return describeProviderError(error);
  // An ApiError says its own code; what a tRPC error wraps is looked at as its cause.
  if (!(error instanceof TRPCError) && isDatabaseUnavailable(error)) return databaseUnavailable;
  return undefined;
}

/** Whether a failed call is worth another attempt: only what the provider says is transient. */
export function isRetryable(error: unknown): boolean {
  const cause = error instanceof TRPCError && error.cause ? error.cause : error;
  return cause instanceof ProviderError && cause.retryable;
}

/** Anything thrown inside a request, described without leaking internals. */
export function describeError(error: unknown): ErrorDescription {
  const domain = describeDomainError(error);
  if (domain) return domain;
  if (error instanceof ApiError) {
    return {
      code: error.apiCode,
      status: errorCodes[error.apiCode].status,
      message: error.message,
      param: error.param,
      details: error.details,
      openAiCode: error.openAiCode,
      headers: error.headers,
    };
  }
  if (error instanceof TRPCError) {
    const cause = describeDomainError(error.cause);
    if (cause) return cause;
    if (error.cause instanceof z.ZodError) {
      return { code: 'bad_request', status: 400, openAiCode: undefined, headers: undefined, ...describeZodIssues(error.cause.issues) };
    }
    const code = codeByTrpcCode.get(error.code) ?? 'internal_error';
    const exposeMessage = code !== 'internal_error';
    return {
      code,
      status: errorCodes[code].status,
      message: exposeMessage ? error.message : 'Internal error',
      param: undefined,
      details: undefined,
      openAiCode: undefined,
      headers: undefined,
    };
  }
  return { code: 'internal_error', status: 500, message: 'Internal error', param: undefined, details: undefined, openAiCode: undefined, headers: undefined };
}

export type RouteTree = 'native' | 'openai';

/** Which envelope a URL's errors use; `/v1` and below speak OpenAI's. */
export function routeTreeOf(url: string): RouteTree {
  return /^\/v1(?:[/?]|$)/.test(url) ? 'openai' : 'native';
}

export const nativeErrorSchema = z
  .object({
    status: z.literal('error'),
    error: z.object({
      code: z.string().meta({ example: 'bad_request' }),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'NativeError' });

export const openAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'OpenAIError' });

export function buildErrorBody(tree: RouteTree, error: ErrorDescription, requestId: string): unknown {
  if (tree === 'openai') {
    return {
      error: {
        message: error.message,
        type: errorCodes[error.code].openAiType,
        param: error.param ?? null,
        code: error.openAiCode ?? errorCodes[error.code].openAiCode,
      },
    } satisfies z.infer<typeof openAiErrorSchema>;
  }
  const details = error.details ?? (error.param ? { param: error.param } : undefined);
  return {
    status: 'error',
    error: { code: error.code, message: error.message, request_id: requestId, ...(details === undefined ? {} : { details }) },
  } satisfies z.infer<typeof nativeErrorSchema>;
}

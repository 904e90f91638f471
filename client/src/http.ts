import { apiErrorOf, ApiError, ConnectionError, TimeoutError } from './errors.js';

export interface ClientOptions {
  /** Where the service listens, e.g. `http://localhost:8787` (no trailing path). */
  baseUrl: string;
  /** A project API key (`sk_live_...`). Sent as a bearer token; never logged or kept on the client object. */
  apiKey: string;
  /** Per request, retries included (default 60 000). Streams: until the first event. */
  timeoutMs?: number;
  /** Retries of a 429, a 5xx (not 501) or a failed connection, with backoff (default 2). */
  maxRetries?: number;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
}

/** A route as the generated table describes it. */
export interface RouteDescription {
  method: string;
  path: string;
  framing?: string;
  binary?: string;
  /** The input's `body` is the request body, sent as its `content_type`. */
  rawBody?: boolean;
  /** The path parameter that takes the rest of the path: its slashes stay path separators. */
  greedy?: string;
}

export interface HttpRequest {
  route: RouteDescription;
  input: Record<string, unknown> | undefined;
  /** Asks for server-sent events (a `stream: true` body). */
  stream?: boolean;
}

/** Sends requests: the URL and body from the route and input, auth, timeouts, retries, typed errors. */
export interface Http {
  send(request: HttpRequest, options: RequestOptions | undefined): Promise<Response>;
}

const retryableStatus = (status: number) => status === 429 || (status >= 500 && status !== 501);
const maxRetryDelayMs = 60_000;

interface FetchArguments {
  url: string;
  body: string | Uint8Array<ArrayBuffer> | undefined;
  contentType: string | undefined;
}

/**
 * Path parameters filled in; the rest of the input as query (GET, DELETE, HEAD), as JSON body,
 * or for a raw body route its `body` bytes as its `content_type`.
 */
function toFetchArguments(baseUrl: string, { route, input, stream }: HttpRequest): FetchArguments {
  const rest: Record<string, unknown> = { ...input };
  const path = route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = rest[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`${name}: required`);
    delete rest[name];
    const segments = name === route.greedy ? value.split('/') : [value];
    // The URL would resolve them away before the service saw them, reaching another path.
    if (segments.some((segment) => segment === '.' || segment === '..')) throw new TypeError(`${name}: "." and ".." cannot be path segments`);
    return segments.map(encodeURIComponent).join('/');
  });
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  if (route.rawBody) {
    const { body, content_type: contentType } = rest;
    if (!(body instanceof Uint8Array)) throw new TypeError('body: required, as a Uint8Array (a Buffer is one)');
    if (typeof contentType !== 'string' || !/^[\t\x20-\x7e]{1,255}$/.test(contentType)) throw new TypeError('content_type: required, at most 255 printable ASCII characters');
    // fetch takes bytes over an ArrayBuffer; bytes over shared memory are copied.
    return { url: url.toString(), body: body.buffer instanceof ArrayBuffer ? (body as Uint8Array<ArrayBuffer>) : new Uint8Array(body), contentType };
  }
  if (route.method === 'GET' || route.method === 'DELETE' || route.method === 'HEAD') {
    for (const [name, value] of Object.entries(rest)) if (value !== undefined) url.searchParams.set(name, String(value));
    return { url: url.toString(), body: undefined, contentType: undefined };
  }
  return { url: url.toString(), body: JSON.stringify(stream ? { ...rest, stream: true } : rest), contentType: 'application/json' };
}

/**
 * Later layers win by name whatever its case: fetch would join `Content-Type` and
 * `content-type` into one list, and a raw body's type is stored with it.
 */
function mergeHeaders(...layers: (Record<string, string> | undefined)[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) for (const [name, value] of Object.entries(layer ?? {})) merged[name.toLowerCase()] = value;
  return merged;
}

function retryAfterSeconds(response: Response): number | null {
  const header = response.headers.get('retry-after');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** The error body of either tree: `{status:'error', error:{code, message, request_id}}` or OpenAI's `{error:{message, type, code, param}}`. */
async function errorOf(response: Response): Promise<ApiError> {
  let body: { error?: Record<string, unknown> } | undefined;
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = undefined;
  }
  const error = body?.error ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  // The native tree names the field in details: `{ param }`, or the first of its validation `issues`.
  const details = error.details as { param?: unknown; issues?: { field?: unknown }[] } | undefined;
  return apiErrorOf({
    status: response.status,
    code: text(error.code) ?? text(error.type) ?? `http_${response.status}`,
    message: text(error.message) ?? `HTTP ${response.status}`,
    requestId: text(error.request_id) ?? response.headers.get('x-request-id'),
    param: text(error.param) ?? text(details?.param) ?? text(details?.issues?.[0]?.field),
    details: error.details ?? null,
    retryAfterSeconds: retryAfterSeconds(response),
  });
}

/** Exponential backoff with jitter, unless the service said how long to wait. */
function retryDelayMs(attempt: number, retryAfter: number | null): number {
  if (retryAfter !== null) return Math.min(retryAfter * 1000, maxRetryDelayMs);
  const base = Math.min(500 * 2 ** attempt, 8_000);
  return base * (0.75 + Math.random() * 0.5);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Deadline {
  signal: AbortSignal;
  answered(): void;
}

/** A whole request, body included. */
function untilRead(ms: number): Deadline {
  return { signal: AbortSignal.timeout(ms), answered: () => undefined };
}

/** A stream's wait for its answer: once events flow, only the caller's signal ends it. */
function untilAnswered(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  return { signal: controller.signal, answered: () => clearTimeout(timer) };
}

export function createHttp(options: ClientOptions): Http {
  const { baseUrl, timeoutMs: defaultTimeoutMs = 60_000, maxRetries: defaultRetries = 2 } = options;
  if (!baseUrl) throw new TypeError('baseUrl: required');
  if (!options.apiKey) throw new TypeError('apiKey: required');
  // Held in this closure only: the client object, its errors and its inspection never show it.
  const authorization = `Bearer ${options.apiKey}`;
  const fetchImplementation = options.fetch ?? globalThis.fetch;

  return {
    async send(request, perRequest = {}) {
      const { url, body, contentType } = toFetchArguments(baseUrl, request);
      const headers = mergeHeaders(
        { accept: request.stream ? 'text/event-stream' : 'application/json' },
        options.headers,
        perRequest.headers,
        { authorization, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      );
      const deadline = request.stream ? untilAnswered(perRequest.timeoutMs ?? defaultTimeoutMs) : untilRead(perRequest.timeoutMs ?? defaultTimeoutMs);
      const timeout = deadline.signal;
      const signal = perRequest.signal ? AbortSignal.any([perRequest.signal, timeout]) : timeout;
      const maxRetries = perRequest.maxRetries ?? defaultRetries;

      try {
        for (let attempt = 0; ; attempt++) {
          let response: Response;
          try {
            response = await fetchImplementation(url, { method: request.route.method, headers, body, signal });
          } catch (error) {
            if (perRequest.signal?.aborted) throw perRequest.signal.reason;
            if (timeout.aborted) throw new TimeoutError(`No answer from ${request.route.method} ${request.route.path} within the timeout`);
            if (attempt >= maxRetries) throw new ConnectionError(`${request.route.method} ${request.route.path}: ${(error as Error).message}`, { cause: error });
            await sleep(retryDelayMs(attempt, null), signal).catch(() => undefined);
            continue;
          }
          if (response.ok) {
            deadline.answered();
            return response;
          }
          const failure = await errorOf(response);
          if (!retryableStatus(response.status) || attempt >= maxRetries) throw failure;
          try {
            await sleep(retryDelayMs(attempt, failure.retryAfterSeconds), signal);
          } catch {
            // Aborted or out of time while waiting: the last answer is the most useful error.
            if (perRequest.signal?.aborted) throw perRequest.signal.reason;
            throw failure;
          }
        }
      } catch (error) {
        deadline.answered();
        throw error;
      }
    },
  };
}

// Calls to the service, the signed-in key (this browser tab only), and the API's errors as it said them.

const storageKey = 'ai-dashboard.session';

/** The key and what it may do; sessionStorage, so it ends with the tab. */
export const session = {
  get current() {
    const saved = sessionStorage.getItem(storageKey);
    return saved ? JSON.parse(saved) : null;
  },
  save(value) {
    sessionStorage.setItem(storageKey, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(storageKey);
  },
  can(scope) {
    return Boolean(this.current?.scopes.includes(scope));
  },
};

/** An error answer, kept as the API said it. */
export class ApiFailure extends Error {
  constructor({ status, code, message, field, retryAfter, requestId, body }) {
    super(message);
    Object.assign(this, { status, code, field, retryAfter, requestId, body });
  }

  /** The API's own words, with status and code in front. */
  describe() {
    return `${this.status}${this.code ? ` ${this.code}` : ''}: ${this.message}`;
  }

  /** What else the answer said: when to retry, and the request id to quote. */
  meta() {
    return [this.retryAfter ? `Retry after ${this.retryAfter} s` : null, this.requestId ? `request ${this.requestId}` : null].filter(Boolean).join(' · ');
  }
}

/** Reads either envelope (native `{status:'error', error}` or OpenAI `{error}`) and the headers that matter. */
export function failureOf(status, headers, body) {
  const error = body && typeof body === 'object' ? body.error : undefined;
  const message = typeof error?.message === 'string' ? error.message : typeof body === 'string' && body ? body : `HTTP ${status}`;
  const issue = error?.details?.issues?.[0];
  // Messages name their field first ("max_output_tokens: ..."): the fallback when no param is given.
  const named = /^([a-z_][\w.[\]]*): /i.exec(message)?.[1];
  return new ApiFailure({
    status,
    code: error?.code ?? error?.type,
    message,
    field: issue?.field ?? error?.param ?? named,
    retryAfter: headers.get('retry-after'),
    requestId: error?.request_id ?? headers.get('x-request-id'),
    body,
  });
}

export const absoluteUrl = (path) => new URL(path, location.origin).toString();

function withQuery(path, query) {
  const entries = Object.entries(query ?? {}).filter(([, value]) => value !== undefined && value !== null && value !== '');
  return entries.length ? `${path}?${new URLSearchParams(entries)}` : path;
}

/**
 * A request as the dashboard sends it and shows it: method, path with query, and a JSON body,
 * a multipart form ({ field: string | File }), or raw text.
 */
export function describeRequest({ method = 'GET', path, query, json, form, raw, contentType }) {
  return { method, url: withQuery(path, query), json, form, raw, contentType };
}

function bodyOf(request) {
  if (request.json !== undefined) return { body: JSON.stringify(request.json), headers: { 'content-type': 'application/json' } };
  if (request.form) {
    const data = new FormData();
    for (const [name, value] of Object.entries(request.form)) data.append(name, value);
    return { body: data, headers: {} };
  }
  if (request.raw !== undefined) return { body: request.raw, headers: { 'content-type': request.contentType ?? 'text/plain' } };
  return { body: undefined, headers: {} };
}

/** Sends a described request with the session key; `key` overrides it (sign-in). */
export async function send(request, { key, signal } = {}) {
  const { body, headers } = bodyOf(request);
  const started = performance.now();
  const response = await fetch(request.url, {
    method: request.method,
    headers: { ...headers, authorization: `Bearer ${key ?? session.current?.key ?? ''}` },
    body,
    signal,
  });
  return { response, started };
}

async function readBody(response) {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) return response.json().catch(() => null);
  if (type.startsWith('text/')) return response.text();
  return response.blob();
}

/** Sends and reads the answer: the data of a native envelope, or the body; throws ApiFailure on 4xx/5xx. */
export async function call(request, options) {
  const { response } = await send(request, options);
  const body = await readBody(response);
  if (!response.ok) throw failureOf(response.status, response.headers, body);
  return { status: response.status, headers: response.headers, data: body?.status === 'ok' && 'data' in body ? body.data : body };
}

/** Sends a streaming request and hands each server-sent event to `onEvent` as it arrives. */
export async function stream(request, onEvent, options) {
  const { response } = await send(request, options);
  if (!response.ok) throw failureOf(response.status, response.headers, await readBody(response));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let boundary;
    while ((boundary = buffered.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffered.slice(0, boundary);
      buffered = buffered.slice(boundary).replace(/^\r?\n\r?\n/, '');
      const event = parseEvent(block);
      if (event) onEvent(event);
    }
  }
}

function parseEvent(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  if (text === '[DONE]') return { name: 'done', data: null };
  try {
    return { name, data: JSON.parse(text) };
  } catch {
    return { name, data: text };
  }
}

let openApiDocument;
/** /openapi.json, fetched once per page load. */
export function openApi() {
  openApiDocument ??= fetch('/openapi.json').then((response) => response.json());
  return openApiDocument;
}

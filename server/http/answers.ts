import type { Logger } from 'pino';
import { buildErrorBody, describeError, errorCodes, type ApiErrorCode, type ErrorDescription } from '../../router/errors.ts';
import { pushRateLimitHeaders } from '../../accounts/rate-limits.ts';
import type { Framing } from '../../router/transport.ts';
import { isDatabaseUnavailable } from '../../schema/db/unavailable.ts';
import { requestIdHeader, type Exchange } from './exchange.ts';

/**
 * Writing answers: every answer the pipeline gives goes through here, so each carries its
 * request id and rate-limit counts, and one given before the request's body was read either
 * closes the connection (an anonymous caller's body is never read) or discards the rest.
 */

/** The head every answer shares, as the raw list `writeHead` takes (no header table is built). */
function baseHead(x: Exchange, contentType: string, length: number | undefined): string[] {
  const head = ['content-type', contentType, requestIdHeader, x.requestId];
  if (length !== undefined) head.push('content-length', String(length));
  pushRateLimitHeaders(head, x.rateLimits);
  if (x.bodyUnread && !discardUnreadBody(x)) head.push('connection', 'close');
  return head;
}

/** What of a refused caller's body is read and thrown away, at most, before the connection is cut. */
const discardLimits = { bytes: 16 * 1024 * 1024, ms: 2000 };

/**
 * A caller whose key was checked and who is sending a body we answered early (a 503 for the
 * body budget, a 413) would see its connection reset mid-upload, and lose the answer, if the
 * connection closed now: the rest of the body is read and thrown away instead, up to 16 MiB and
 * 2 s, then the connection is cut. Returns false when the connection must close at once: the
 * caller is anonymous, or it waits for `100 Continue` and so sends nothing more.
 */
export function discardUnreadBody(x: Exchange): boolean {
  if (!x.mayDiscardBody || x.awaitsContinue) return false;
  const { req } = x;
  const socket = req.socket;
  const readBefore = socket.bytesRead;
  const started = Date.now();
  const guard = setInterval(() => {
    if (req.complete || socket.destroyed) clearInterval(guard);
    else if (socket.bytesRead - readBefore > discardLimits.bytes || Date.now() - started > discardLimits.ms) {
      clearInterval(guard);
      socket.destroy();
    }
  }, 50);
  guard.unref();
  // A body partly read (413 past the limit, 408 idle) was paused: let the rest flow away.
  req.resume();
  return true;
}

/** `headers` added to a head, each replacing any of the same name already in it (a refusal's own rate-limit counts). */
function pushHeaders(head: string[], headers: Record<string, string> | undefined): string[] {
  if (!headers) return head;
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const kept: string[] = [];
  for (let index = 0; index < head.length; index += 2) {
    if (!names.has(head[index]!.toLowerCase())) kept.push(head[index]!, head[index + 1]!);
  }
  for (const [name, value] of Object.entries(headers)) kept.push(name, value);
  return kept;
}

export function answerJson(x: Exchange, status: number, body: unknown, headers?: Record<string, string>): void {
  answerJsonText(x, status, JSON.stringify(body), headers);
}

/** JSON already written (a large answer is written on the JSON thread). */
export function answerJsonText(x: Exchange, status: number, text: string | Buffer, headers?: Record<string, string>): void {
  x.res.writeHead(status, pushHeaders(baseHead(x, 'application/json', typeof text === 'string' ? Buffer.byteLength(text) : text.length), headers));
  x.res.end(x.req.method === 'HEAD' ? undefined : text);
}

/** Bytes with their own type and headers (a stored object's length, ETag...): exactly the stored type, no charset added. */
export function answerBytes(x: Exchange, status: number, answer: { bytes: Buffer | string | undefined; contentType: string; headers?: Record<string, string> }): void {
  const bytes = typeof answer.bytes === 'string' ? Buffer.from(answer.bytes) : answer.bytes;
  // A stored object states its own length (HEAD answers it without the bytes).
  const statesLength = Object.keys(answer.headers ?? {}).some((name) => name.toLowerCase() === 'content-length');
  const head = baseHead(x, answer.contentType, statesLength ? undefined : bytes?.length);
  x.res.writeHead(status, pushHeaders(head, answer.headers));
  x.res.end(x.req.method === 'HEAD' ? undefined : bytes);
}

/**
 * Server-side failures in the log: an internal error with its stack (a bug to fix); an upstream
 * failure, an outage or a feature not configured (501-504) as a warning with its code, no stack.
 * What the caller got wrong (4xx) is not logged beyond the request line.
 */
export function logFailure(logger: Logger, failure: ErrorDescription, error: unknown, requestId: string): void {
  // A database outage is logged once, where it is seen (schema/db/reachability.ts), not per call.
  if (failure.status === 503 && isDatabaseUnavailable(error)) return;
  if (failure.status === 500) logger.error({ err: error, request_id: requestId }, 'request failed');
  else if (failure.status > 500) logger.warn({ code: failure.code, status: failure.status, request_id: requestId }, 'request failed upstream or unconfigured');
}

export function describeCode(code: ApiErrorCode, message: string, extra: Partial<ErrorDescription> = {}): ErrorDescription {
  return { code, status: errorCodes[code].status, message, param: undefined, details: undefined, openAiCode: undefined, headers: undefined, ...extra };
}

/**
 * The one place anything thrown while serving a request becomes its answer: described without
 * internals (never a stack), in the envelope of the request's tree. An answer already under way
 * (a stream) can only be ended.
 */
export function answerError(x: Exchange, error: unknown, logger: Logger): void {
  if (error instanceof DOMException && error.name === 'AbortError' && x.clientGone.aborted) {
    // The client left: nobody reads an answer.
    x.res.destroy();
    return;
  }
  const failure = describeError(error);
  logFailure(logger, failure, error, x.requestId);
  if (x.res.headersSent) {
    x.res.end();
    return;
  }
  answerJson(x, failure.status, buildErrorBody(x.tree === 'openai' ? 'openai' : 'native', failure, x.requestId), failure.headers);
}

function isErrorFrame(event: unknown): boolean {
  return typeof event === 'object' && event !== null && ('error' in event || (event as { type?: unknown }).type === 'error');
}

function frame(event: unknown, framing: Framing): string {
  const data = JSON.stringify(event);
  if (framing === 'named-events') return `event: ${(event as { type: string }).type}\ndata: ${data}\n\n`;
  return `data: ${data}\n\n`;
}

/**
 * Events as server-sent events. Headers go out only once the first event exists, so failures to
 * start (validation, an upstream 429) keep their status. Each event is written as it arrives; a
 * comment keeps quiet connections open; a client that leaves ends the generation at once.
 */
export async function answerEvents(x: Exchange, events: AsyncIterable<unknown>, framing: Framing, keepAliveMs: number, logger: Logger): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  const first = await iterator.next();
  const { res } = x;
  res.writeHead(200, [
    ...baseHead(x, 'text/event-stream; charset=utf-8', undefined),
    'cache-control',
    'no-cache, no-transform',
    'x-accel-buffering',
    'no',
  ]);
  res.flushHeaders();
  x.req.socket.setNoDelay(true);

  let lastWrite = Date.now();
  const write = (text: string) => {
    lastWrite = Date.now();
    res.write(text);
  };
  const keepAlive = setInterval(() => {
    if (Date.now() - lastWrite >= keepAliveMs) write(': keep-alive\n\n');
  }, Math.max(50, Math.floor(keepAliveMs / 2)));
  const stop = () => void iterator.return?.();
  x.clientGone.addEventListener('abort', stop, { once: true });
  try {
    let current = first;
    let failed = false;
    while (!current.done && !x.clientGone.aborted) {
      write(frame(current.value, framing));
      failed = isErrorFrame(current.value);
      current = await iterator.next();
    }
    // OpenAI ends a failed chat stream with the error frame alone.
    if (!x.clientGone.aborted && !failed && framing === 'data-then-done') write('data: [DONE]\n\n');
  } catch (error) {
    // Procedures turn failures into error events; what lands here is the client leaving.
    if (!x.clientGone.aborted) logger.warn({ err: error, request_id: x.requestId }, 'stream ended unexpectedly');
  } finally {
    clearInterval(keepAlive);
    x.clientGone.removeEventListener('abort', stop);
    res.end();
  }
}

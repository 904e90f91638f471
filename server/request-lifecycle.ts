import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { RequestLog } from '../router/context.ts';
import type { Principal } from '../router/key-store.ts';
import type { ErrorDescription } from '../router/errors.ts';
import type { ServiceMetrics, Tree } from './observability/metrics.ts';

const acceptableRequestId = /^[\w.:-]{1,128}$/;

const requestIdHeader = 'x-request-id';

export interface RequestLocals {
  requestId: string;
  log: RequestLog;
  /** Aborted when the client disconnects before the response has been sent. */
  clientGone: AbortSignal;
  /** Set when a procedure failed; the REST layer sends it in the tree's envelope. */
  failure?: ErrorDescription;
  /** The caller, when the key was checked before the body was read. */
  principal?: Principal;
  /** A multipart body already read into its JSON input (by the stream route of the same path). */
  parsedInput?: Record<string, unknown>;
}

export function localsOf(res: Response): RequestLocals {
  return res.locals as RequestLocals;
}

function treeOf(url: string): Tree {
  if (url.startsWith('/infra/')) return 'infra';
  if (url.startsWith('/v1/')) return 'v1';
  if (url.startsWith('/trpc/')) return 'trpc';
  return 'other';
}

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane; `echoRequestIds` puts
 * it on the answer), and writes one log line when the response ends: method, route, status, duration,
 * request id, project; and counts it by route template (never the raw path: ids in paths would
 * grow the metrics without bound). Nothing from headers or bodies.
 */
export function trackRequests(logger: Logger, metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers[requestIdHeader];
    const requestId =
      typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : `req_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const locals = localsOf(res);
    locals.requestId = requestId;
    locals.log = {};
    const disconnect = new AbortController();
    locals.clientGone = disconnect.signal;
    res.on('close', () => {
      if (!res.writableFinished) disconnect.abort(new DOMException('The client disconnected', 'AbortError'));
    });
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // Routes express itself matched (/healthz, /metrics, /docs) have `req.route`.
      const route = locals.log.route ?? (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.observeRequest(treeOf(req.originalUrl), route, req.method, res.statusCode, durationMs / 1000);
      logger.info(
        {
          method: req.method,
          route,
          status: res.statusCode,
          duration_ms: durationMs,
          request_id: requestId,
          project_id: locals.log.projectId,
        },
        'request',
      );
    });
    next();
  };
}

/** Whether a raw header list (`[name, value, ...]`) names `name` (lower case). */
function listNames(headers: unknown[], name: string): boolean {
  for (let index = 0; index < headers.length; index += 2) {
    const given = headers[index];
    if (typeof given === 'string' && given.length === name.length && given.toLowerCase() === name) return true;
  }
  return false;
}

/**
 * Every answer carries its request id, added as its head is written rather than set when the
 * request arrives: to a raw header list given to `writeHead` (the JSON routes write their whole
 * head so) it is appended, and such an answer goes through no `setHeader` at all, so Node builds
 * no header table for it (eight `setHeader` calls were ~5 µs of a call under load). Otherwise it
 * is set, and headers given as an object still override it. Express makes `app.response` the
 * prototype of every answer, so this one override serves every writer (express itself, the tRPC
 * and OpenAPI adapters, streams, errors): each reaches `writeHead`, explicitly or through the
 * implicit head of `end`, `write` and `flushHeaders`.
 */
export function echoRequestIds(app: Express): void {
  const writeHead = ServerResponse.prototype.writeHead;
  app.response.writeHead = function writeHeadWithRequestId(this: Response, statusCode: number, reasonOrHeaders?: unknown, headers?: unknown) {
    const requestId = (this.locals as Partial<RequestLocals>).requestId;
    const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    if (requestId !== undefined && !this.hasHeader(requestIdHeader)) {
      if (!Array.isArray(given)) this.setHeader(requestIdHeader, requestId);
      else if (!listNames(given, requestIdHeader)) given.push(requestIdHeader, requestId);
    }
    // Node tells `writeHead(status, headers)` from `writeHead(status, reason, headers)` by the count.
    return Reflect.apply(writeHead, this, arguments) as Response;
  } as Response['writeHead'];
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestLog } from '../../router/context.ts';
import type { RateCounts } from '../../accounts/rate-limits.ts';
import type { ServiceMetrics, Tree as MetricsTree } from '../observability/metrics.ts';

/** Which envelope an answer's errors use: the native one, OpenAI's, tRPC's own. */
export type Tree = 'native' | 'openai' | 'trpc';

/** One request as the pipeline carries it from its first step to its answer. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  log: RequestLog;
  /** Aborted when the client disconnects before the answer has been sent. */
  clientGone: AbortSignal;
  tree: Tree;
  /**
   * The request says it has a body and not all of it has been read. An answer given before it is
   * discarded (briefly, see answers.ts) for a caller whose key was checked, and closes the
   * connection otherwise.
   */
  bodyUnread: boolean;
  /** The key was checked: the rest of an unread body may be discarded (bounded) so the caller can read its answer. */
  mayDiscardBody: boolean;
  /** The client waits for `100 Continue` before sending its body (`Expect: 100-continue`). */
  awaitsContinue: boolean;
  /** The budgets the request was counted against: every answer reports them, errors too. */
  rateLimits: RateCounts;
  /** Writes the request's log line and metric; called when its answer ends (or its connection was upgraded). */
  recordAnswer(status: number): void;
}

const acceptableRequestId = /^[\w.:-]{1,128}$/;

export const requestIdHeader = 'x-request-id';

/** The caller's `x-request-id` when it is sane, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[requestIdHeader];
  return typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : `req_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** Whether the request says it carries a body (a length above zero, or chunked). */
export const declaresBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** Which tree a raw path is under, before any route is known: `/v1` speaks OpenAI's errors. */
export const treeOfPath = (path: string): Tree => (/^\/v1(?:[/?]|$)/i.test(path) ? 'openai' : /^\/trpc(?:[/?]|$)/i.test(path) ? 'trpc' : 'native');

function metricsTreeOf(path: string): MetricsTree {
  if (path.startsWith('/infra/')) return 'infra';
  if (path.startsWith('/v1/')) return 'v1';
  if (path.startsWith('/trpc/')) return 'trpc';
  return 'other';
}

const exchanges = new WeakMap<ServerResponse, Exchange>();

/** The exchange an answer belongs to (tracing reads its route when the answer ends). */
export function exchangeOf(res: ServerResponse): Exchange | undefined {
  return exchanges.get(res);
}

/**
 * Opens the exchange of one request: its id, the signal that fires when the client leaves, and
 * one log line and one metric when its answer ends: method, route template (never the raw path:
 * ids in paths would grow the metrics without bound), status, duration, request id, project.
 * Nothing from headers or bodies.
 */
export function openExchange(req: IncomingMessage, res: ServerResponse, logger: Logger, metrics: ServiceMetrics): Exchange {
  const started = process.hrtime.bigint();
  const disconnect = new AbortController();
  let recorded = false;
  const exchange: Exchange = {
    req,
    res,
    requestId: requestIdOf(req),
    log: {},
    clientGone: disconnect.signal,
    tree: treeOfPath(req.url ?? '/'),
    bodyUnread: declaresBody(req),
    mayDiscardBody: false,
    awaitsContinue: req.headers.expect?.toLowerCase() === '100-continue',
    rateLimits: {},
    recordAnswer(status) {
      if (recorded) return;
      recorded = true;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const route = exchange.log.route ?? 'unmatched';
      metrics.observeRequest(metricsTreeOf(req.url ?? '/'), route, req.method ?? 'GET', status, durationMs / 1000);
      logger.info({ method: req.method, route, status, duration_ms: durationMs, request_id: exchange.requestId, project_id: exchange.log.projectId }, 'request');
    },
  };
  // One listener for both ends: an answer that ended is recorded, one cut short aborts the call.
  res.once('close', () => {
    if (res.writableFinished) exchange.recordAnswer(res.statusCode);
    else disconnect.abort(new DOMException('The client disconnected', 'AbortError'));
  });
  return exchange;
}

/** Tells a client waiting for `100 Continue` to send its body: the body is about to be read. */
export function continueBody(x: Exchange): void {
  if (!x.awaitsContinue) return;
  x.awaitsContinue = false;
  x.res.writeContinue();
}

/** Makes the exchange findable from its answer (request tracing names its span by the route). */
export function traceExchange(exchange: Exchange): void {
  exchanges.set(exchange.res, exchange);
}

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AnyRouter } from '@trpc/server';
import cors from 'cors';
import type { ServerServices } from '../server-services.ts';
import { ApiError } from '../../router/errors.ts';
import { rateLimitHeaderNames } from '../../accounts/rate-limits.ts';
import { realtimeUpgradeRoute, type UpgradeRoute } from '../realtime-proxy.ts';
import { answerError } from './answers.ts';
import { BodyBudget } from './body-budget.ts';
import { openExchange, traceExchange, type Exchange } from './exchange.ts';
import { JsonThread } from './json-thread.ts';
import { pageRoutes, type PageRoute } from './pages.ts';
import type { PipelineServices } from './pipeline-services.ts';
import { procedureRoutes, serveProcedure, type ProcedureRoute } from './procedure-routes.ts';
import { parseTarget } from './request-target.ts';
import { compilePath, RouteTable, type PathPattern } from './route-table.ts';
import { createTrpcDoor, trpcRoutes, type TrpcRoute } from './trpc-door.ts';

type UpgradeEntry = Omit<UpgradeRoute, 'path'> & { pattern: PathPattern; tree: 'openai' | 'native' };
type Route = ProcedureRoute | TrpcRoute | PageRoute | UpgradeEntry;

export interface Pipeline {
  /** Serves one HTTP request. Never throws: whatever happens becomes the request's answer. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Serves one connection upgrade (the realtime websocket) through the same steps. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends the websocket relays (before the server drains: they would hold it open). */
  closeUpgrades(): void;
  /** Stops the pipeline's own threads, once no request is left. */
  close(): Promise<void>;
}

/** The absolute form (`GET http://host/path`) as a path; anything else that is not a path is the caller's 400. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url;
  const parsed = URL.parse(url);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new ApiError('bad_request', 'path: the request target must be a path');
  return parsed.pathname + parsed.search;
}

/**
 * The one request pipeline. Every request, whatever its door (canonical REST, `/v1`, `/trpc`
 * batches and subscriptions, multipart, raw bodies, the websocket upgrade, the pages), takes the
 * same steps in the same order: open its exchange (request id, log line, client-gone signal) →
 * decode its path safely → find its route → admit it (server/http/admission.ts: key, scopes,
 * rate limit, body budget) → read its body → call the procedure, which validates → write the
 * answer. Anything thrown on the way is answered in one place (answers.ts `answerError`).
 */
export function createPipeline(services: ServerServices, appRouter: AnyRouter): Pipeline {
  const { config, logger, metrics } = services;
  const shared: PipelineServices = {
    services,
    bodyBudget: new BodyBudget({ total: config.maxBodyBytesInFlight, perProject: config.maxBodyBytesInFlightPerProject }),
    jsonThread: new JsonThread(),
  };
  const realtime = realtimeUpgradeRoute(services);
  const upgrades: UpgradeEntry[] = [{ ...realtime, pattern: compilePath(realtime.path), tree: 'openai' }];
  const table = new RouteTable<Route>([...procedureRoutes(appRouter), ...trpcRoutes(), ...pageRoutes(services), ...upgrades]);
  const serveTrpc = createTrpcDoor(appRouter, shared);

  const origins = config.corsOrigins;
  const anyOrigin = origins.includes('*');
  // Keys travel in Authorization headers, never cookies: no credentials mode is needed.
  const answerCors =
    origins.length > 0 ? cors({ origin: anyOrigin ? '*' : origins, exposedHeaders: ['x-request-id', 'retry-after', ...rateLimitHeaderNames], maxAge: 600 }) : undefined;

  /** CORS headers (and the whole answer to a preflight); resolves true when the request is answered. */
  function applyCors(x: Exchange): Promise<boolean> | boolean {
    // A request without Origin is not a browser's cross-origin call: with every origin allowed
    // there is nothing to add to its answer (a list of origins still marks every answer `Vary: Origin`).
    if (!answerCors || (anyOrigin && x.req.headers.origin === undefined)) return false;
    return new Promise((resolve) => {
      x.res.once('finish', () => resolve(true));
      answerCors(x.req as never, x.res as never, () => resolve(x.res.writableEnded));
    });
  }

  /** Finds the request's route; its tree decides the envelope of every later error. */
  function route(x: Exchange, method: string, path: string) {
    const found = table.match(method, path);
    if (!found) throw new ApiError('not_found', `Unknown route: ${method} ${path.split('?')[0]}`, { openAiCode: 'unknown_url' });
    if ('allowed' in found) {
      throw new ApiError('method_not_allowed', `${method} is not served on this path; it takes ${found.allowed.join(', ')}`, { headers: { Allow: found.allowed.join(', ') } });
    }
    x.tree = found.route.tree;
    x.log.route = found.route.pattern.template;
    return found;
  }

  async function serve(x: Exchange): Promise<void> {
    if (await applyCors(x)) return;
    const target = parseTarget(pathOf(x.req.url ?? '/'));
    const { route: matched, params } = route(x, x.req.method ?? 'GET', target.path);
    switch (matched.kind) {
      case 'procedure':
        return serveProcedure(x, matched, params, target.query, shared);
      case 'trpc':
        return serveTrpc(x, params, target.query);
      case 'page':
        return matched.serve(x, params);
      case 'upgrade':
        throw new ApiError('bad_request', `${matched.pattern.template} is a websocket: connect with "Upgrade: websocket"`, { headers: { Upgrade: 'websocket' } });
    }
  }

  async function serveUpgrade(x: Exchange, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseTarget(pathOf(x.req.url ?? '/'));
    const { route: matched } = route(x, x.req.method ?? 'GET', target.path);
    if (matched.kind !== 'upgrade') throw new ApiError('bad_request', `${matched.pattern.template} does not upgrade to a websocket`);
    await matched.upgrade(x.req, socket, head);
    x.recordAnswer(101);
  }

  return {
    handle(req, res) {
      const x = openExchange(req, res, logger, metrics);
      const run = () => serve(x).catch((error: unknown) => answerError(x, error, logger));
      if (!services.tracing.requests) return void run();
      traceExchange(x);
      services.tracing.requests(req as never, res as never, () => void run());
    },
    upgrade(req, socket, head) {
      // An answer before the upgrade is an ordinary HTTP answer on the socket, then it closes.
      const res = new ServerResponse(req);
      const x = openExchange(req, res, logger, metrics);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as never);
      res.once('finish', () => {
        x.recordAnswer(res.statusCode);
        res.detachSocket(socket as never);
        socket.end();
      });
      socket.on('error', () => socket.destroy());
      serveUpgrade(x, socket, head).catch((error: unknown) => answerError(x, error, logger));
    },
    closeUpgrades() {
      realtime.close();
    },
    async close() {
      await shared.jsonThread.close();
    },
  };
}

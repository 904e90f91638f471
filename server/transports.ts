import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiRoute } from './api-dispatch.ts';
import type { AnyRouter } from '@trpc/server';
import type { RequestContext, Services } from '../router/context.ts';
import { describeError } from '../router/errors.ts';
import { collectRoutes, dataOf, invokeRoute, transportRoutes, type RouteEntry } from '../router/route-table.ts';
import { createCallerFactory } from '../router/trpc.ts';
import type { Framing, TransportDeclaration } from '../router/transport.ts';
import { logFailure, sendError } from './error-responses.ts';
import { boundedBody, jsonBody } from './body-guards.ts';
import { inputFromMultipart } from './multipart-input.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';

type TransportRoute = RouteEntry & { transport: TransportDeclaration };
type Caller = unknown;

/** `/a/{id}/b/{key}` as an express path; a greedy parameter takes the rest, slashes included. */
export function expressPath(path: string, greedyParam?: string): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => (name === greedyParam ? `*${name}` : `:${name}`));
}

function pathParams(req: Request): Record<string, string> {
  return Object.fromEntries(Object.entries(req.params as Record<string, string | string[]>).map(([name, value]) => [name, Array.isArray(value) ? value.join('/') : value]));
}

const isMultipart = (req: Request) => req.is('multipart/form-data') === 'multipart/form-data';

/**
 * A request this transport cannot serve, answered in its tree's envelope with the headers the
 * call set so far. A body refused for its size is left unread: close rather than drain it.
 */
export function refuse(req: Request, res: Response, ctx: RequestContext, services: Services, error: unknown): void {
  const failure = describeError(error);
  logFailure(services.logger, failure, error, ctx.requestId);
  applyResponseHeaders(res, ctx);
  if (failure.status === 413) res.setHeader('Connection', 'close');
  sendError(req, res, failure);
}

/** A multipart body as the route's JSON input, read once per request whichever route reads it first. */
async function multipartInput(route: TransportRoute, req: Request, res: Response, services: Services): Promise<Record<string, unknown>> {
  const locals = localsOf(res);
  locals.parsedInput ??= await inputFromMultipart(req, services.config.maxBodyBytes, route.transport.multipart!, route.transport.input);
  return { ...locals.parsedInput, ...pathParams(req) };
}

/**
 * The request as the procedure's JSON input, when this transport serves it; undefined hands it
 * on (plain JSON goes to the REST adapter).
 */
async function inputFor(route: TransportRoute, req: Request, res: Response, services: Services): Promise<Record<string, unknown> | undefined> {
  const { transport } = route;
  const params = pathParams(req);
  if (transport.rawBody) {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return { ...params, ...transport.rawBody.into(body, req.headers['content-type'] ?? 'application/octet-stream') };
  }
  if (transport.multipart && isMultipart(req)) return multipartInput(route, req, res, services);
  const sent = { ...((req.method === 'GET' || req.method === 'HEAD' ? req.query : req.body) ?? {}), ...params } as Record<string, unknown>;
  if (transport.rawAnswer && (transport.rawAnswer.when?.(sent) ?? true)) return sent;
  // A route the REST adapter does not know (no JSON twin) is served here whatever it is sent.
  return route.meta.openapi ? undefined : sent;
}

/** Calls the procedure and writes its answer: JSON, or bytes where the route declares them. */
function serveCall(route: TransportRoute, services: Services, createCaller: (ctx: never) => Caller): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const ctx = createRequestContext(services, req, res);
    let input: Record<string, unknown> | undefined;
    let output: unknown;
    try {
      input = await inputFor(route, req, res, services);
      if (!input) return next();
      localsOf(res).log.route = route.transport.path;
      output = await invokeRoute(route, ctx, input, createCaller);
    } catch (error) {
      refuse(req, res, ctx, services, error);
      return;
    }
    applyResponseHeaders(res, ctx);
    const status = ctx.response.status ?? 200;
    const raw = route.transport.rawAnswer;
    // An accepted operation (202) is JSON whatever the route answers when it runs now.
    if (status !== 202 && raw && (raw.when?.(input) ?? true)) {
      const answer = raw.body(dataOf(route, output));
      // Exactly the stored type: express's type() would add a charset the object never had.
      res.status(status).setHeader('Content-Type', answer.contentType);
      for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
      if (answer.bytes !== undefined) {
        const bytes = typeof answer.bytes === 'string' ? Buffer.from(answer.bytes) : answer.bytes;
        res.setHeader('Content-Length', String(bytes.length));
        res.end(bytes);
      } else res.end();
      return;
    }
    res.status(status).json(output);
  };
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
 * Serves `stream: true` requests as server-sent events, from the same subscription typed tRPC
 * clients use. Headers go out only once the first event exists, so failures to start (auth,
 * validation, an upstream 429) keep their status. Each event is written as it arrives; a comment
 * keeps quiet connections open; a client that leaves aborts the generation at once.
 */
function serveEvents(route: TransportRoute, framing: Framing, services: Services, createCaller: (ctx: never) => Caller): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const ctx = createRequestContext(services, req, res);
    let body: { stream?: unknown } | undefined;
    try {
      // A multipart upload is read here once; the route answering without a stream reuses it.
      body = route.transport.multipart && isMultipart(req) ? await multipartInput(route, req, res, services) : (req.body as typeof body);
    } catch (error) {
      refuse(req, res, ctx, services, error);
      return;
    }
    if (body?.stream !== true) return next();
    localsOf(res).log.route = route.transport.path;

    let iterator: AsyncIterator<unknown>;
    let first: IteratorResult<unknown>;
    try {
      const events = (await invokeRoute(route, ctx, body, createCaller)) as AsyncIterable<unknown>;
      iterator = events[Symbol.asyncIterator]();
      first = await iterator.next();
    } catch (error) {
      if (!ctx.signal.aborted) refuse(req, res, ctx, services, error);
      return;
    }

    res.status(200);
    applyResponseHeaders(res, ctx);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    let lastWrite = Date.now();
    const write = (text: string) => {
      lastWrite = Date.now();
      res.write(text);
    };
    const keepAlive = setInterval(() => {
      if (Date.now() - lastWrite >= services.config.sseKeepAliveMs) write(': keep-alive\n\n');
    }, Math.max(50, Math.floor(services.config.sseKeepAliveMs / 2)));
    ctx.signal.addEventListener('abort', () => void iterator.return?.(), { once: true });

    try {
      let current = first;
      let failed = false;
      while (!current.done && !ctx.signal.aborted) {
        write(frame(current.value, framing));
        failed = isErrorFrame(current.value);
        current = await iterator.next();
      }
      // OpenAI ends a failed chat stream with the error frame alone.
      if (!ctx.signal.aborted && !failed && framing === 'data-then-done') write('data: [DONE]\n\n');
    } catch (error) {
      // Procedures turn failures into error events; what lands here is the client leaving.
      if (!ctx.signal.aborted) services.logger.warn({ err: error, request_id: ctx.requestId }, 'stream ended unexpectedly');
    } finally {
      clearInterval(keepAlive);
      res.end();
    }
  };
}

/** How a route's body is read before its handler: raw bytes, JSON, or (multipart) by the handler itself. */
function bodyReader(transport: TransportDeclaration, services: Services): RequestHandler[] {
  if (transport.method === 'GET' || transport.method === 'HEAD') return [];
  if (transport.rawBody) {
    const limit = transport.rawBody.maxBytes(services.config);
    return [boundedBody(express.raw({ type: () => true, limit }), limit, services.config)];
  }
  return [jsonBody(services.config)];
}

/**
 * The one HTTP layer for everything that is not JSON in, JSON out: every procedure that declares
 * a transport (multipart upload, raw body, byte answer, server-sent events) is served here by
 * calling that same procedure, so auth, validation, billing and `async: true` stay the procedure's.
 * Requests a route does not claim (plain JSON) go on to the JSON routes.
 */
export function transportApiRoutes(services: Services, appRouter: AnyRouter): ApiRoute[] {
  const createCaller = createCallerFactory(appRouter) as unknown as (ctx: never) => Caller;
  // Streams first: a stream route answers `stream: true` and hands everything else to its path's other route.
  const routes = transportRoutes(collectRoutes(appRouter)).sort((left, right) => Number(Boolean(right.transport.sse)) - Number(Boolean(left.transport.sse)));
  return routes.map((route) => {
    const { transport } = route;
    const handler = transport.sse ? serveEvents(route, transport.sse.framing, services, createCaller) : serveCall(route, services, createCaller);
    return { method: transport.method, path: expressPath(transport.path, transport.greedyParam), handlers: [...bodyReader(transport, services), handler] };
  });
}

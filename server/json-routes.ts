import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AnyRouter } from '@trpc/server';
import type { Services } from '../router/context.ts';
import { collectRoutes, invokeRoute, type RouteEntry } from '../router/route-table.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';
import { pushRateLimitHeaders } from '../router/rate-limits.ts';
import { expressPath, refuse } from './transports.ts';
import type { ApiRoute } from './api-dispatch.ts';

/**
 * The request as the procedure's input when it is the plain case: a JSON object body, or a GET
 * or DELETE without a query string. Anything else (query strings to coerce, other content
 * types to refuse) is left to trpc-to-openapi's adapter.
 */
function plainInput(req: Request): Record<string, unknown> | undefined {
  const params = req.params as Record<string, string>;
  if (req.method === 'GET' || req.method === 'DELETE') {
    return Object.keys(req.query).length === 0 ? { ...params } : undefined;
  }
  const body: unknown = req.body;
  if (!readAsJson(req) || typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) return undefined;
  return Object.keys(params).length === 0 ? (body as Record<string, unknown>) : { ...(body as Record<string, unknown>), ...params };
}

/**
 * The body came through the JSON parser (which takes only `application/json`), or was an empty
 * body taken as `{}`: cheaper than matching the content type again.
 */
const readAsJson = (req: Request) => (req as { _body?: boolean })._body === true || req.headers['content-type'] === 'application/json';

/**
 * The JSON routes of both trees, dispatched straight to their procedures. trpc-to-openapi keeps
 * the paths and the document; its adapter did per-request work no answer needed (a WHATWG Request
 * built only for its abort signal, the input schema walked again for coercion), which showed up
 * as a tenth of the CPU of a call. Its adapter still serves what is not plain (see plainInput).
 */
export function jsonApiRoutes(services: Services, appRouter: AnyRouter, bodyReaders: RequestHandler[]): ApiRoute[] {
  const createCaller = createCallerFactory(appRouter) as unknown as (ctx: never) => unknown;
  const jsonRoutes = collectRoutes(appRouter).filter((route): route is RouteEntry & { meta: { openapi: { method: string; path: string } } } => Boolean(route.meta.openapi));
  return jsonRoutes.map((route) => {
    const handler = async (req: Request, res: Response, next: NextFunction) => {
      const input = plainInput(req);
      if (!input) return next();
      const ctx = createRequestContext(services, req, res);
      let output: unknown;
      try {
        output = await invokeRoute(route, ctx, input, createCaller);
      } catch (error) {
        refuse(req, res, ctx, services, error);
        return;
      }
      localsOf(res).log.route ??= route.meta.openapi.path;
      // The whole head in one raw list (the request id is added to it): no header goes through
      // `setHeader` (see echoRequestIds).
      const body = JSON.stringify(output);
      const head = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
      res.writeHead(ctx.response.status ?? 200, pushRateLimitHeaders(head, ctx.response.rateLimits));
      res.end(body);
    };
    return { method: route.meta.openapi.method, path: expressPath(route.meta.openapi.path), handlers: [...bodyReaders, handler] };
  });
}

import type { Request, Response } from 'express';
import type { RequestContext, Services } from '../router/context.ts';
import { localsOf } from './request-lifecycle.ts';
import { setRateLimitHeaders } from '../router/rate-limits.ts';

/** The tRPC context of one HTTP request, shared by the tRPC, REST and SSE mounts. */
export function createRequestContext(services: Services, req: Request, res: Response): RequestContext {
  const locals = localsOf(res);
  return {
    services,
    requestId: locals.requestId,
    authorization: req.headers.authorization,
    authenticated: locals.principal,
    log: locals.log,
    signal: locals.clientGone,
    response: { rateLimits: {} },
  };
}

/** Headers procedures asked for (rate-limit counts) on answers that express writes itself. */
export function applyResponseHeaders(res: Response, ctx: RequestContext): void {
  setRateLimitHeaders(res, ctx.response.rateLimits);
}

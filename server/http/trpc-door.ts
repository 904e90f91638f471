import type { AnyRouter } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { CallContext } from '../../router/context.ts';
import { ApiError, describeError } from '../../router/errors.ts';
import { rateLimitHeaders } from '../../accounts/rate-limits.ts';
import { collectRoutes } from '../../router/route-table.ts';
import { admit, type AdmittedCall } from './admission.ts';
import { discardUnreadBody, logFailure } from './answers.ts';
import { checkedJsonText, isJsonContentType, readBody } from './bodies.ts';
import { continueBody, requestIdHeader, type Exchange } from './exchange.ts';
import type { PipelineServices } from './pipeline-services.ts';
import { compilePath, type PathPattern } from './route-table.ts';

/** `/trpc/{procedures}`: tRPC's own protocol (batches, subscriptions), GET and POST. */
export interface TrpcRoute {
  kind: 'trpc';
  method: 'GET' | 'POST';
  pattern: PathPattern;
  tree: 'trpc';
}

export const trpcRoutes = (): TrpcRoute[] =>
  (['GET', 'POST'] as const).map((method) => ({ kind: 'trpc', method, pattern: compilePath('/trpc/{procedures}'), tree: 'trpc' }));

/** Calls in one tRPC request at most: each is admitted (and counted) before any body is read. */
const maxBatchSize = 64;

/**
 * The tRPC door runs the same steps as REST: admission (key, the scope of every call in the
 * batch, one request of the budget per call, the body budget) before the body is read, then the
 * body read and checked by the same reader, then tRPC validates and calls. tRPC frames the
 * answer, errors included: whatever failed before it (a 401, a body too large) is handed to it
 * as the request's error, so a batch, a query and a subscription each get it in their own form,
 * and the body of a refused request is never read.
 */
export function createTrpcDoor(appRouter: AnyRouter, pipeline: PipelineServices) {
  const { services } = pipeline;
  const calls = new Map<string, AdmittedCall>(
    collectRoutes(appRouter).flatMap((route) => (route.meta.scope ? [[route.procedurePath, { scope: route.meta.scope, heavyWork: route.meta.heavyWork }] as const] : [])),
  );

  async function prepare(x: Exchange, procedures: string, query: Map<string, string[]>): Promise<CallContext> {
    const paths = procedures.split(',');
    if (paths.length > maxBatchSize) throw new ApiError('bad_request', `path: at most ${maxBatchSize} calls in one batch`, { param: 'path' });
    const called = paths.flatMap((path) => calls.get(path) ?? []);
    const ctx = await admit(x, services, pipeline.bodyBudget, called, services.config.maxBodyBytes);
    const input = query.get('input')?.[0];
    if (input !== undefined) checkedJsonText(Buffer.from(input), 'input');
    if (x.bodyUnread && x.req.method === 'GET') throw new ApiError('bad_request', 'body: a GET takes no body; send mutations as POST', { param: 'body' });
    if (x.bodyUnread) {
      const contentType = x.req.headers['content-type'];
      if (!isJsonContentType(contentType)) {
        throw new ApiError('unsupported_media_type', `content-type: ${contentType === undefined ? 'missing' : `"${contentType}" is not accepted`}; send application/json`, { param: 'content-type' });
      }
      continueBody(x);
      // tRPC reads a body already read from `req.body`, as text it parses itself.
      (x.req as { body?: string }).body = checkedJsonText(await readBody(x.req, { maxBytes: services.config.maxBodyBytes, idleMs: services.config.bodyIdleTimeoutMs }));
      x.bodyUnread = false;
    }
    return ctx;
  }

  return async function serveTrpc(x: Exchange, params: Record<string, string>, query: Map<string, string[]>): Promise<void> {
    let ctx: CallContext | undefined;
    let refusal: unknown;
    try {
      ctx = await prepare(x, params.procedures!, query);
    } catch (error) {
      refusal = error;
    }
    const { res, req } = x;
    res.setHeader(requestIdHeader, x.requestId);
    if (x.bodyUnread) {
      if (!discardUnreadBody(x)) res.setHeader('connection', 'close');
      // tRPC must not wait for it either.
      (req as { body?: string }).body = '';
    }
    await nodeHTTPRequestHandler({
      router: appRouter,
      req,
      res,
      // tRPC decodes the path itself: hand it the procedures as they were sent.
      path: encodeURIComponent(params.procedures!),
      maxBatchSize,
      createContext: () => ctx as CallContext,
      // tRPC answers this error for every call of the request, in each call's own form.
      middleware: (_req, _res, next) => next(refusal),
      // A failure's status and headers (Retry-After) as the REST trees give them.
      responseMeta: ({ errors, info }) => {
        const headers = rateLimitHeaders(x.rateLimits);
        const failure = errors.length === 1 && !info?.isBatchCall ? describeError(errors[0]) : undefined;
        return failure ? { status: failure.status, headers: { ...headers, ...failure.headers } } : { headers };
      },
      onError: ({ error }) => logFailure(services.logger, describeError(error), error, x.requestId),
    });
  };
}

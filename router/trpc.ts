import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { RequestContext } from './context.ts';
import { describeError } from './errors.ts';
import type { Scope } from './scopes.ts';

export type ProcedureMeta = OpenApiMeta<{
  scope?: Scope;
  /** The non-2xx statuses the API reference lists for the route. */
  errorStatuses?: number[];
  /** The route also answers `stream: true` with server-sent events (served by server/sse-routes.ts). */
  streams?: boolean;
}>;

const t = initTRPC
  .context<RequestContext>()
  .meta<ProcedureMeta>()
  .create({
    // Never send stack traces, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const described = describeError(error);
      return {
        ...shape,
        message: described.message,
        data: {
          code: shape.data.code,
          httpStatus: described.status,
          path: shape.data.path,
          error: { code: described.code, message: described.message, param: described.param ?? null, details: described.details },
        },
      };
    },
  });

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;

/** The bare builder; router/auth.ts adds the one middleware every route runs. */
export const baseProcedure = t.procedure;

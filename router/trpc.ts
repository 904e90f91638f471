import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { RequestContext } from './context.ts';
import { describeError } from './errors.ts';
import type { Scope } from './scopes.ts';
import type { BackgroundRoute, Envelope, HeavyWork, TransportDeclaration } from './transport.ts';

export type ProcedureMeta = OpenApiMeta<{
  scope?: Scope;
  /** The non-2xx statuses the route can answer (documented in the tree's error envelope). */
  errorStatuses?: number[];
  /** The shape of the procedure's output: the native envelope or bare. */
  envelope?: Envelope;
  /** How the route travels beyond JSON in, JSON out (multipart, bytes, server-sent events). */
  transport?: TransportDeclaration;
  /** Present when the route accepts `async: true`: how the worker runs and records it. */
  background?: BackgroundRoute;
  /** Present when the route may queue CPU-heavy local work (see HeavyWork). */
  heavyWork?: HeavyWork;
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

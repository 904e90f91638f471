import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { CallContext } from './context.ts';
import { describeError } from './errors.ts';
import type { Scope } from '../accounts/scopes.ts';
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
  /** The path parameter that may contain `/` (the last one): a model id like `vllm:meta-llama/Llama-3.1-8B`. */
  greedyParam?: string;
  /** Present when the route may queue CPU-heavy local work (see HeavyWork). */
  heavyWork?: HeavyWork;
}>;

const t = initTRPC
  .context<CallContext>()
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

/** The one builder: procedures check their scope in their resolver (router/auth.ts `scoped`). */
export const baseProcedure = t.procedure;

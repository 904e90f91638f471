import { z } from 'zod';
import type { RequestContext } from './context.ts';
import type { Principal } from './key-store.ts';
import { scopedProcedure } from './auth.ts';
import type { Scope } from './scopes.ts';

export interface CallContext extends RequestContext {
  principal: Principal;
}

/** One tree's view of a primitive: its path, wire input and output, and the mapping to and from them. */
export interface RouteSide<TArgs, TResult, TInput extends z.ZodObject, TOutput extends z.ZodType> {
  path: `/${string}`;
  summary: string;
  description?: string;
  input: TInput;
  toArgs: (input: z.output<TInput>) => TArgs;
  output: TOutput;
  toOutput: (result: TResult, input: z.output<TInput>) => z.input<TOutput>;
}

/**
 * A primitive defined once: scope, the run function, and how each tree (canonical `/infra/ai/*`
 * with the native envelope, OpenAI-compatible `/v1/*`) maps onto it.
 */
export interface PrimitiveDefinition<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType, OIn extends z.ZodObject, OOut extends z.ZodType> {
  scope: Scope;
  tag: string;
  /** The non-2xx statuses the API reference lists for this route (documented on both trees). */
  errorStatuses: number[];
  /** Whether `stream: true` gets server-sent events (documented as a second 200 content type). */
  streams?: boolean;
  run: (args: TArgs, ctx: CallContext) => Promise<TResult> | TResult;
  canonical: RouteSide<TArgs, TResult, NIn, NData>;
  compat: RouteSide<TArgs, TResult, OIn, OOut>;
}

/** The native success envelope around a primitive's data. */
export function nativeEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal('ok'), data });
}

type AnyDefinition = PrimitiveDefinition<any, any, z.ZodObject, z.ZodType, z.ZodObject, z.ZodType>;

function prepare<TInput extends z.ZodObject, TOutput extends z.ZodType>(
  definition: AnyDefinition,
  method: 'GET' | 'POST',
  side: RouteSide<unknown, unknown, TInput, TOutput>,
) {
  const builder = scopedProcedure(definition.scope)
    .meta({
      scope: definition.scope,
      errorStatuses: definition.errorStatuses,
      streams: definition.streams ?? false,
      openapi: {
        method,
        path: side.path,
        summary: side.summary,
        ...(side.description ? { description: side.description } : {}),
        tags: [definition.tag],
        protect: true,
        // Error responses are written by server/openapi-document.ts in each tree's own envelope.
        errorResponses: {},
      },
    })
    .input(side.input)
    .output(side.output);

  const resolve = async (opts: { input: unknown; ctx: RequestContext & { principal: Principal }; signal: AbortSignal | undefined }) => {
    const input = opts.input as z.output<TInput>;
    const result = await definition.run(side.toArgs(input), { ...opts.ctx, signal: opts.signal ?? opts.ctx.signal });
    // Generic zod types defeat tRPC's output inference here; the output parser checks the value.
    return side.toOutput(result, input) as never;
  };
  return { builder, resolve };
}

/** A route side whose output is wrapped in the native `{status: 'ok', data}` envelope. */
export function inNativeEnvelope<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType>(side: RouteSide<TArgs, TResult, NIn, NData>) {
  return {
    ...side,
    output: nativeEnvelope(side.output),
    toOutput: (result: TResult, input: z.output<NIn>) => ({ status: 'ok' as const, data: side.toOutput(result, input) }),
  } as RouteSide<TArgs, TResult, NIn, ReturnType<typeof nativeEnvelope<NData>>>;
}

/** The definition of a route that exists on one tree only (e.g. `/v1/chat/completions`). */
export type SingleRouteDefinition<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType> = Omit<
  PrimitiveDefinition<TArgs, TResult, z.ZodObject, z.ZodType, TIn, TOut>,
  'canonical' | 'compat'
> & { route: RouteSide<TArgs, TResult, TIn, TOut> };

/** A GET route on one tree. */
export function defineQueryRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  const route = prepare(definition as never as AnyDefinition, 'GET', definition.route as never as RouteSide<unknown, unknown, TIn, TOut>);
  return route.builder.query(route.resolve);
}

/** A POST route on one tree. */
export function defineMutationRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  const route = prepare(definition as never as AnyDefinition, 'POST', definition.route as never as RouteSide<unknown, unknown, TIn, TOut>);
  return route.builder.mutation(route.resolve);
}

/**
 * Both procedures of a read primitive (GET on both trees). trpc-to-openapi gives one path per
 * procedure, hence two procedures sharing `run`.
 */
export function defineTwinQueries<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType, OIn extends z.ZodObject, OOut extends z.ZodType>(
  definition: PrimitiveDefinition<TArgs, TResult, NIn, NData, OIn, OOut>,
) {
  return {
    canonical: defineQueryRoute({ ...definition, route: inNativeEnvelope(definition.canonical) }),
    compat: defineQueryRoute({ ...definition, route: definition.compat }),
  };
}

/** Both procedures of a primitive that does work (POST on both trees). */
export function defineTwinMutations<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType, OIn extends z.ZodObject, OOut extends z.ZodType>(
  definition: PrimitiveDefinition<TArgs, TResult, NIn, NData, OIn, OOut>,
) {
  return {
    canonical: defineMutationRoute({ ...definition, route: inNativeEnvelope(definition.canonical) }),
    compat: defineMutationRoute({ ...definition, route: definition.compat }),
  };
}

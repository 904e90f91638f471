import { z } from 'zod';
import type { RequestContext } from './context.ts';
import type { Principal } from './key-store.ts';
import { scopedProcedure } from './auth.ts';
import type { Scope } from './scopes.ts';
import { registerAsyncRoute } from './async-routes.ts';
import { enqueueOperation } from './operations.ts';
import type { StorableResult } from '../procedures/storage/storage-service.ts';

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

/** How a primitive runs in the background when a request says `async: true`. */
export interface AsyncSupport {
  /** The operation's `kind`, e.g. `responses`. */
  kind: string;
  /** Usage and model to record on the operation, read from the route's output. */
  usageOf?: (output: unknown) => Record<string, unknown> | null;
  modelOf?: (output: unknown) => string | null;
  /** What must hold before the operation is accepted (model exists, the balance covers it): throws otherwise. */
  precheck?: (input: unknown, ctx: CallContext) => Promise<void>;
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
  /** Present when the primitive accepts `async: true`: its output schemas then include the operation. */
  async?: AsyncSupport;
  /** How a result is written to `result_destination` (binary results as their own bytes); JSON otherwise. */
  storable?: (output: unknown) => StorableResult;
  run: (args: TArgs, ctx: CallContext) => Promise<TResult> | TResult;
  canonical: RouteSide<TArgs, TResult, NIn, NData>;
  compat: RouteSide<TArgs, TResult, OIn, OOut>;
}

/** A route that exists on one tree only. */
export type SingleRouteDefinition<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType> = Omit<
  PrimitiveDefinition<TArgs, TResult, z.ZodObject, z.ZodType, TIn, TOut>,
  'canonical' | 'compat'
> & { route: RouteSide<TArgs, TResult, TIn, TOut> };

/** The native success envelope around a primitive's data. */
export function nativeEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal('ok'), data });
}

type AnyDefinition = SingleRouteDefinition<any, any, z.ZodObject, z.ZodType>;
type Envelope = 'native' | 'none';

interface AsyncFields {
  async?: boolean;
  result_destination?: { bucket_id: string; key: string } | undefined;
  webhook_topic?: string | undefined;
  model?: string | undefined;
}

function prepare<TInput extends z.ZodObject, TOutput extends z.ZodType>(
  definition: AnyDefinition,
  method: 'GET' | 'POST' | 'DELETE',
  envelope: Envelope,
  output: TOutput,
) {
  const side = definition.route;
  const wrap = (data: unknown) => (envelope === 'native' ? { status: 'ok' as const, data } : data);
  /** The route's own output for an input: what the sync answer carries and what an operation stores. */
  const execute = async (input: z.output<TInput>, ctx: CallContext) => side.toOutput(await definition.run(side.toArgs(input), ctx), input);
  const storable = definition.storable ?? ((output: unknown): StorableResult => ({ json: output }));
  if (definition.async) registerAsyncRoute(side.path, { ...definition.async, input: side.input, execute, storable });

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
    .input(side.input as TInput)
    .output(output);

  const resolve = async (opts: { input: unknown; ctx: RequestContext & { principal: Principal }; signal: AbortSignal | undefined }) => {
    const input = opts.input as z.output<TInput> & AsyncFields;
    const ctx: CallContext = { ...opts.ctx, signal: opts.signal ?? opts.ctx.signal };
    if (definition.async && input.async === true) {
      await definition.async.precheck?.(input, ctx);
      const operation = await enqueueOperation(ctx, { kind: definition.async.kind, route: side.path, input });
      ctx.response.status = 202;
      return wrap(operation) as never;
    }
    const result = await execute(input, ctx);
    if (input.result_destination) {
      await ctx.services.storage.writeResult(ctx.principal.projectId, input.result_destination, storable(result));
    }
    // Generic zod types defeat tRPC's output inference here; the output parser checks the value.
    return wrap(result) as never;
  };
  return { builder, resolve };
}

function defineRoute<TIn extends z.ZodObject, TOut extends z.ZodType>(definition: AnyDefinition, method: 'GET' | 'POST' | 'DELETE', envelope: Envelope, output: TOut) {
  const route = prepare<TIn, TOut>(definition, method, envelope, output);
  return method === 'GET' ? { query: route.builder.query(route.resolve) } : { mutation: route.builder.mutation(route.resolve) };
}

/** A GET route on one tree, answered as is (OpenAI shapes). */
export function defineQueryRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return defineRoute<TIn, TOut>(definition as AnyDefinition, 'GET', 'none', definition.route.output).query!;
}

/** A POST route on one tree, answered as is (OpenAI shapes). */
export function defineMutationRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return defineRoute<TIn, TOut>(definition as AnyDefinition, 'POST', 'none', definition.route.output).mutation!;
}

/** A GET route on the native tree only, in the native envelope. */
export function defineNativeQuery<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return defineRoute<TIn, ReturnType<typeof nativeEnvelope<TOut>>>(definition as AnyDefinition, 'GET', 'native', nativeEnvelope(definition.route.output)).query!;
}

/** A POST route on the native tree only, in the native envelope. */
export function defineNativeMutation<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return defineRoute<TIn, ReturnType<typeof nativeEnvelope<TOut>>>(definition as AnyDefinition, 'POST', 'native', nativeEnvelope(definition.route.output))
    .mutation!;
}

/** A DELETE route on the native tree only, in the native envelope. */
export function defineNativeDelete<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return defineRoute<TIn, ReturnType<typeof nativeEnvelope<TOut>>>(definition as AnyDefinition, 'DELETE', 'native', nativeEnvelope(definition.route.output))
    .mutation!;
}

/**
 * Both procedures of a read primitive (GET on both trees). trpc-to-openapi gives one path per
 * procedure, hence two procedures sharing `run`.
 */
export function defineTwinQueries<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType, OIn extends z.ZodObject, OOut extends z.ZodType>(
  definition: PrimitiveDefinition<TArgs, TResult, NIn, NData, OIn, OOut>,
) {
  return {
    canonical: defineNativeQuery({ ...definition, route: definition.canonical }),
    compat: defineQueryRoute({ ...definition, route: definition.compat }),
  };
}

/** Both procedures of a primitive that does work (POST on both trees). */
export function defineTwinMutations<TArgs, TResult, NIn extends z.ZodObject, NData extends z.ZodType, OIn extends z.ZodObject, OOut extends z.ZodType>(
  definition: PrimitiveDefinition<TArgs, TResult, NIn, NData, OIn, OOut>,
) {
  return {
    canonical: defineNativeMutation({ ...definition, route: definition.canonical }),
    compat: defineMutationRoute({ ...definition, route: definition.compat }),
  };
}

/**
 * Both procedures of a POST primitive whose native data is already the OpenAI shape: one input
 * and output schema, served at two paths (the native one inside the envelope).
 */
export function defineMirroredMutations<TIn extends z.ZodObject, TOut extends z.ZodType>(
  definition: Omit<PrimitiveDefinition<z.output<TIn>, z.input<TOut>, TIn, TOut, TIn, TOut>, 'canonical' | 'compat'> & {
    input: TIn;
    output: TOut;
    paths: { canonical: `/${string}`; compat: `/${string}`; summary: string; description: string };
  },
) {
  const { input, output, paths } = definition;
  const side = { input, output, toArgs: (value: z.output<TIn>) => value, toOutput: (result: z.input<TOut>) => result, description: paths.description };
  return defineTwinMutations({
    ...definition,
    canonical: { ...side, path: paths.canonical, summary: paths.summary },
    compat: { ...side, path: paths.compat, summary: `${paths.summary} (OpenAI-compatible)` },
  });
}

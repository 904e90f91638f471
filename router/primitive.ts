import { z } from 'zod';
import type { CallContext } from './context.ts';
import { scoped } from './auth.ts';
import { baseProcedure } from './trpc.ts';
import type { Scope } from '../accounts/scopes.ts';
import { enqueueOperation } from './operations.ts';
import { ApiError } from './errors.ts';
import type { AsyncSupport, Envelope, HeavyWork, MultipartDeclaration, RawAnswer, TransportDeclaration } from './transport.ts';
import type { StorableResult } from '../providers/storage/storage-service.ts';
import { operationSchema } from '../schema/api/operations.ts';

/** One tree's view of a primitive: its path, wire input and output, and the mapping to and from them. */
export interface RouteSide<TArgs, TResult, TInput extends z.ZodObject, TOutput extends z.ZodType> {
  path: `/${string}`;
  summary: string;
  description?: string;
  input: TInput;
  toArgs: (input: z.output<TInput>) => TArgs;
  /** The answer; with `async` support the operation (202) is added by the factory. */
  output: TOutput;
  toOutput: (result: TResult, input: z.output<TInput>) => z.input<TOutput>;
  /** Also accepts `multipart/form-data` with these file parts. */
  multipart?: MultipartDeclaration;
  /** Answers bytes (audio, plain-text transcripts) instead of JSON, always or when the request asks. */
  rawAnswer?: RawAnswer<z.output<TOutput>>;
  /** The path parameter that may also be sent with its slashes unencoded (the last one). */
  greedyParam?: string;
}

/** What every route of a primitive shares: scope, errors, the run function, background support. */
interface PrimitiveCommon<TArgs, TResult, A extends AsyncSupport | undefined> {
  scope: Scope;
  tag: string;
  /** The non-2xx statuses this route can answer (documented on both trees). */
  errorStatuses: number[];
  /** Present when the primitive accepts `async: true`: its answer may then be the operation (202). */
  async?: A;
  /** How a result is written to `result_destination` (binary results as their own bytes); JSON otherwise. */
  storable?: (output: unknown) => StorableResult;
  /** The route may queue CPU-heavy local work: the pipeline may refuse it before reading its body. */
  heavyWork?: HeavyWork;
  run: (args: TArgs, ctx: CallContext) => Promise<TResult> | TResult;
}

/**
 * A primitive defined once: scope, the run function, and how each tree (canonical `/infra/ai/*`
 * with the native envelope, OpenAI-compatible `/v1/*`) maps onto it.
 */
export interface PrimitiveDefinition<
  TArgs,
  TResult,
  NIn extends z.ZodObject,
  NData extends z.ZodType,
  OIn extends z.ZodObject,
  OOut extends z.ZodType,
  A extends AsyncSupport | undefined = undefined,
> extends PrimitiveCommon<TArgs, TResult, A> {
  canonical: RouteSide<TArgs, TResult, NIn, NData>;
  compat: RouteSide<TArgs, TResult, OIn, OOut>;
}

/** A route that exists on one tree only. */
export interface SingleRouteDefinition<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType, A extends AsyncSupport | undefined = undefined>
  extends PrimitiveCommon<TArgs, TResult, A> {
  route: RouteSide<TArgs, TResult, TIn, TOut>;
}

/** The native success envelope around a primitive's data. */
export function nativeEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal('ok'), data });
}

type AnyDefinition = SingleRouteDefinition<any, any, z.ZodObject, z.ZodType, AsyncSupport | undefined>;
type Method = 'GET' | 'POST' | 'DELETE';

/** The answer of a route: with async support, also the accepted operation (documented as its own 202). */
type Answer<TOut extends z.ZodType, A> = (A extends AsyncSupport ? z.ZodUnion<[TOut, typeof operationSchema]> : TOut) & z.ZodType;
type Wrapped<T extends z.ZodType, E extends Envelope> = E extends 'native' ? ReturnType<typeof nativeEnvelope<T>> : T;

interface AsyncFields {
  [field: string]: unknown;
  async?: boolean;
  result_destination?: { bucket_id: string; key: string } | undefined;
  webhook_topic?: string | undefined;
  model?: string | undefined;
}

const jsonResult = (output: unknown): StorableResult => ({ json: output });

function answerSchema(definition: AnyDefinition, envelope: Envelope): z.ZodType {
  const output = definition.async ? z.union([definition.route.output, operationSchema]) : definition.route.output;
  return envelope === 'native' ? nativeEnvelope(output) : output;
}

/** The transport declaration a side needs beyond JSON, if any. */
function transportOf(side: AnyDefinition['route'], method: Method): TransportDeclaration | undefined {
  if (!side.multipart && !side.rawAnswer) return undefined;
  return {
    method,
    path: side.path,
    input: side.input,
    ...(side.multipart ? { multipart: side.multipart } : {}),
    ...(side.rawAnswer ? { rawAnswer: side.rawAnswer as RawAnswer<unknown> } : {}),
  };
}

function defineRoute<TIn extends z.ZodObject, TOut extends z.ZodType>(definition: AnyDefinition, method: Method, envelope: Envelope) {
  const side = definition.route;
  const wrap = (data: unknown) => (envelope === 'native' ? { status: 'ok' as const, data } : data);
  const storable = definition.storable ?? jsonResult;
  const transport = transportOf(side, method);

  const withInput = baseProcedure
    .meta({
      scope: definition.scope,
      errorStatuses: definition.errorStatuses,
      envelope,
      ...(transport ? { transport } : {}),
      ...(definition.async ? { background: { ...definition.async, storable } } : {}),
      ...(side.greedyParam ? { greedyParam: side.greedyParam } : {}),
      ...(definition.heavyWork ? { heavyWork: definition.heavyWork } : {}),
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
    // The definition's generics are erased above; the casts give typed clients the route's real input and output.
    .input(side.input as TIn);
  const answer = answerSchema(definition, envelope);
  // No tRPC output parser: `checkAnswer` checks a sample the same way on every path. The cast gives
  // typed clients the route's output all the same.
  const builder = withInput as unknown as ReturnType<typeof withInput.output<TOut>>;

  const resolve = scoped(definition.scope, async (opts: { input: unknown; ctx: CallContext; signal: AbortSignal | undefined }) => {
    const input = opts.input as AsyncFields;
    const ctx: CallContext = opts.signal && opts.signal !== opts.ctx.signal ? { ...opts.ctx, signal: opts.signal } : opts.ctx;
    if (definition.async && input.async === true && !ctx.background) {
      await definition.async.precheck?.(input, ctx);
      const operation = await enqueueOperation(ctx, { kind: definition.async.kind, route: side.path, input });
      ctx.response.status = 202;
      return checkAnswer(wrap(operation), answer, ctx, side.path) as never;
    }
    const result = side.toOutput(await definition.run(side.toArgs(input), ctx), input);
    // In the background the worker writes the result and records where it went.
    if (input.result_destination && !ctx.background) {
      await ctx.services.storage.writeResult(ctx.principal.projectId, input.result_destination, storable(result));
    }
    // Generic zod types defeat tRPC's output inference here; `checkAnswer` checks the value.
    return checkAnswer(wrap(result), answer, ctx, side.path) as never;
  });
  return { builder, resolve, answer };
}

/**
 * Answers are built from typed parts, so one that does not match its documented schema is a bug
 * of this service. A share of answers is checked (VALIDATE_OUTPUTS_SAMPLE: every one in tests, a
 * sample in production, where each check costs CPU); a mismatch is logged with the fields at
 * fault, never their values, and answered 500 instead of being sent. The value goes out as
 * built, not as parsed, so a checked answer is the same bytes as an unchecked one.
 */
function checkAnswer(value: unknown, schema: z.ZodType, ctx: CallContext, route: string): unknown {
  const sample = ctx.services.config.validateOutputsSample;
  if (sample <= 0 || (sample < 1 && Math.random() >= sample)) return value;
  const checked = schema.safeParse(value);
  if (checked.success) return value;
  const issues = checked.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code }));
  ctx.services.logger.error({ route, request_id: ctx.requestId, issues }, 'answer does not match its documented schema');
  throw new ApiError('internal_error', `The answer of ${route} does not match its documented schema; this is a bug of the service`);
}

/** trpc-to-openapi documents a procedure's answer from its output parser, checked or not. */
function documented<P extends { _def: object }>(procedure: P, answer: z.ZodType): P {
  (procedure._def as { output?: unknown }).output ??= answer;
  return procedure;
}

function query<TIn extends z.ZodObject, TOut extends z.ZodType>(definition: AnyDefinition, envelope: Envelope) {
  const route = defineRoute<TIn, TOut>(definition, 'GET', envelope);
  return documented(route.builder.query(route.resolve), route.answer);
}

function mutation<TIn extends z.ZodObject, TOut extends z.ZodType>(definition: AnyDefinition, method: 'POST' | 'DELETE', envelope: Envelope) {
  const route = defineRoute<TIn, TOut>(definition, method, envelope);
  return documented(route.builder.mutation(route.resolve), route.answer);
}

/** A GET route on one tree, answered as is (OpenAI shapes). */
export function defineQueryRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return query<TIn, TOut>(definition as AnyDefinition, 'none');
}

/** A POST route on one tree, answered as is (OpenAI shapes). */
export function defineMutationRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType, A extends AsyncSupport | undefined = undefined>(
  definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut, A>,
) {
  return mutation<TIn, Answer<TOut, A>>(definition as AnyDefinition, 'POST', 'none');
}

/** A GET route on the native tree only, in the native envelope. */
export function defineNativeQuery<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return query<TIn, Wrapped<TOut, 'native'>>(definition as AnyDefinition, 'native');
}

/** A POST route on the native tree only, in the native envelope. */
export function defineNativeMutation<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType, A extends AsyncSupport | undefined = undefined>(
  definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut, A>,
) {
  return mutation<TIn, Wrapped<Answer<TOut, A>, 'native'>>(definition as AnyDefinition, 'POST', 'native');
}

/** A DELETE route on one tree, answered as is (OpenAI shapes). */
export function defineDeleteRoute<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return mutation<TIn, TOut>(definition as AnyDefinition, 'DELETE', 'none');
}

/** A DELETE route on the native tree only, in the native envelope. */
export function defineNativeDelete<TArgs, TResult, TIn extends z.ZodObject, TOut extends z.ZodType>(definition: SingleRouteDefinition<TArgs, TResult, TIn, TOut>) {
  return mutation<TIn, Wrapped<TOut, 'native'>>(definition as AnyDefinition, 'DELETE', 'native');
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
export function defineTwinMutations<
  TArgs,
  TResult,
  NIn extends z.ZodObject,
  NData extends z.ZodType,
  OIn extends z.ZodObject,
  OOut extends z.ZodType,
  A extends AsyncSupport | undefined = undefined,
>(definition: PrimitiveDefinition<TArgs, TResult, NIn, NData, OIn, OOut, A>) {
  return {
    canonical: mutation<NIn, Wrapped<Answer<NData, A>, 'native'>>({ ...definition, route: definition.canonical } as AnyDefinition, 'POST', 'native'),
    compat: mutation<OIn, Answer<OOut, A>>({ ...definition, route: definition.compat } as AnyDefinition, 'POST', 'none'),
  };
}

/**
 * Both procedures of a POST primitive whose native data is already the OpenAI shape: one input
 * and output schema, served at two paths (the native one inside the envelope).
 */
export function defineMirroredMutations<TIn extends z.ZodObject, TOut extends z.ZodType>(
  definition: Omit<PrimitiveCommon<z.output<TIn>, z.input<TOut>, undefined>, 'async'> & {
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

/** What a call to a model can answer beyond validation: no balance, unknown model, upstream failure or timeout, local queue full. */
export const modelCallErrors = [400, 401, 402, 403, 404, 429, 502, 503, 504];

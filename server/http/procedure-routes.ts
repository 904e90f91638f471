import type { AnyRouter } from '@trpc/server';
import type { z } from 'zod';
import type { Services } from '../../router/context.ts';
import type { Config } from '../config.ts';
import { procedureSteps, type ProcedureSteps } from '../../router/procedure-steps.ts';
import { ApiError } from '../../router/errors.ts';
import { collectRoutes, dataOf, type RouteEntry } from '../../router/route-table.ts';
import type { Scope } from '../../accounts/scopes.ts';
import type { Framing, HeavyWork, MultipartDeclaration, RawAnswer } from '../../router/transport.ts';
import { admit } from './admission.ts';
import { answerBytes, answerEvents, answerJson, answerJsonText } from './answers.ts';
import { isLargeAnswer } from './json-thread.ts';
import { isJsonContentType, parseJsonBody, readBody } from './bodies.ts';
import { continueBody, type Exchange, type Tree } from './exchange.ts';
import { valuesAsInput } from './form-values.ts';
import { inputFromMultipart, multipartBound } from './multipart.ts';
import type { PipelineServices } from './pipeline-services.ts';
import { compilePath, type PathPattern } from './route-table.ts';


/** How a route's request carries its input beyond the path. */
type InputSource =
  | { kind: 'query' }
  | { kind: 'json'; multipart?: MultipartDeclaration }
  | { kind: 'raw'; into: (body: Buffer, contentType: string) => Record<string, unknown>; maxBytes: (config: Services['config']) => number };

/** A REST route of either tree: its procedure, read off the router's metadata. */
export interface ProcedureRoute {
  kind: 'procedure';
  method: string;
  pattern: PathPattern;
  tree: Tree;
  scope: Scope;
  call: ProcedureSteps;
  /** The subscription serving `stream: true` on the same path, as server-sent events. */
  stream?: { call: ProcedureSteps; framing: Framing };
  source: InputSource;
  /** The procedure's input schema: query parameters and form fields are coerced to it. */
  input: z.ZodObject;
  rawAnswer?: RawAnswer<any>;
  envelope: 'native' | 'none';
  heavyWork?: HeavyWork | undefined;
}

const callOf = (entry: RouteEntry): ProcedureSteps => procedureSteps(entry.procedure, entry.procedurePath);

const inputSchemaOf = (entry: RouteEntry) => (entry.procedure._def as unknown as { inputs: z.ZodObject[] }).inputs[0]!;

/**
 * Every REST route of both trees, from the one source of paths: each procedure's `openapi` meta
 * (what trpc-to-openapi documents), or its transport declaration for what OpenAPI's JSON cannot
 * say (raw bodies, byte answers, streams). A stream joins the route of its path.
 */
export function procedureRoutes(appRouter: AnyRouter): ProcedureRoute[] {
  const routes = new Map<string, ProcedureRoute>();
  const entries = collectRoutes(appRouter);
  for (const entry of entries) {
    const { openapi, transport, scope, envelope, heavyWork } = entry.meta;
    if (transport?.sse) continue;
    const method = openapi?.method ?? transport?.method;
    const path = openapi?.path ?? transport?.path;
    if (!method || !path || !scope) continue;
    const source: InputSource = transport?.rawBody
      ? { kind: 'raw', into: transport.rawBody.into, maxBytes: transport.rawBody.maxBytes }
      : method === 'POST' || method === 'PUT'
        ? { kind: 'json', ...(transport?.multipart ? { multipart: transport.multipart } : {}) }
        : { kind: 'query' };
    routes.set(`${method} ${path}`, {
      kind: 'procedure',
      method,
      pattern: compilePath(path, transport?.greedyParam ?? entry.meta.greedyParam),
      tree: path.startsWith('/v1/') ? 'openai' : 'native',
      scope,
      call: callOf(entry),
      source,
      input: inputSchemaOf(entry),
      ...(transport?.rawAnswer ? { rawAnswer: transport.rawAnswer } : {}),
      envelope: envelope ?? 'native',
      heavyWork,
    });
  }
  for (const entry of entries) {
    const transport = entry.meta.transport;
    if (!transport?.sse) continue;
    const route = routes.get(`${transport.method} ${transport.path}`);
    if (!route) throw new Error(`The stream ${entry.procedurePath} has no route of its own at ${transport.method} ${transport.path}`);
    route.stream = { call: callOf(entry), framing: transport.sse.framing };
  }
  return [...routes.values()];
}

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]!.trim().toLowerCase();

/** The input a request sends beyond its path: its query, JSON or form body, or raw bytes. */
async function sentInput(x: Exchange, route: ProcedureRoute, query: Map<string, string[]>, pipeline: PipelineServices): Promise<Record<string, unknown>> {
  const { services } = pipeline;
  const { config } = services;
  const { source } = route;
  if (source.kind === 'query') {
    if (x.bodyUnread) throw new ApiError('bad_request', `body: ${route.method} ${route.pattern.template} takes no body`, { param: 'body' });
    return valuesAsInput(query, route.input, 'query parameter');
  }
  if (query.size > 0) {
    const [name] = query.keys();
    throw new ApiError('bad_request', `${name}: ${route.method} ${route.pattern.template} takes no query parameters`, { param: name });
  }
  const contentType = x.req.headers['content-type'];
  const limits = { maxBytes: bodyLimitOf(route, config, contentType), idleMs: config.bodyIdleTimeoutMs };
  const multipart = source.kind === 'json' && source.multipart !== undefined && mediaType(contentType) === 'multipart/form-data';
  if (x.bodyUnread && (source.kind === 'raw' || multipart || isJsonContentType(contentType))) continueBody(x);
  if (source.kind === 'raw') {
    const body = await readBody(x.req, limits);
    x.bodyUnread = false;
    return source.into(body, contentType ?? 'application/octet-stream');
  }
  if (!x.bodyUnread && contentType === undefined) return {};
  if (source.multipart && mediaType(contentType) === 'multipart/form-data') {
    const input = await inputFromMultipart(x.req, config.maxBodyBytes, config.bodyIdleTimeoutMs, source.multipart, route.input);
    x.bodyUnread = false;
    return input;
  }
  if (!isJsonContentType(contentType)) {
    const accepted = source.multipart ? 'application/json or multipart/form-data' : 'application/json';
    throw new ApiError('unsupported_media_type', `content-type: ${contentType === undefined ? 'missing' : `"${contentType}" is not accepted`}; send ${accepted}`, { param: 'content-type' });
  }
  const body = await parseJsonBody(await readBody(x.req, limits), pipeline.jsonThread);
  x.bodyUnread = false;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('bad_request', 'body: must be a JSON object', { param: 'body' });
  return body as Record<string, unknown>;
}

/** The most body bytes a route reads from this request (a form upload may hold several files). */
function bodyLimitOf(route: ProcedureRoute, config: Config, contentType: string | undefined): number {
  const { source } = route;
  if (source.kind === 'raw') return source.maxBytes(config);
  if (source.kind === 'json' && source.multipart && mediaType(contentType) === 'multipart/form-data') return multipartBound(config.maxBodyBytes, source.multipart);
  return config.maxBodyBytes;
}

/**
 * A REST request from admission to its answer: admit (key, scope, rate limit, body budget), read
 * the input (query, JSON, form or raw body, path parameters over all), call the procedure (it
 * validates: router/procedure-steps.ts), write JSON, bytes or server-sent events as the route
 * declares.
 */
export async function serveProcedure(x: Exchange, route: ProcedureRoute, params: Record<string, string>, query: Map<string, string[]>, pipeline: PipelineServices): Promise<void> {
  const { services } = pipeline;
  const ctx = await admit(x, services, pipeline.bodyBudget, [route], bodyLimitOf(route, services.config, x.req.headers['content-type']));
  const sent = await sentInput(x, route, query, pipeline);
  for (const name in params) {
    if (name in sent && sent[name] !== params[name]) throw new ApiError('bad_request', `${name}: given in the path as "${params[name]}"; leave it out of the body or send the same`, { param: name });
  }
  const input = { ...sent, ...params };
  if (route.stream && input.stream === true) {
    const events = (await route.stream.call(ctx, input, ctx.signal)) as AsyncIterable<unknown>;
    await answerEvents(x, events, route.stream.framing, services.config.sseKeepAliveMs, services.logger);
    return;
  }
  const output = await route.call(ctx, input, ctx.signal);
  const status = ctx.response.status ?? 200;
  // An accepted operation (202) is JSON whatever the route answers when it runs now.
  if (status !== 202 && route.rawAnswer && (route.rawAnswer.when?.(input) ?? true)) {
    answerBytes(x, status, route.rawAnswer.body(dataOf(route.envelope, output)));
    return;
  }
  // A route that may do heavy work may answer a lot (2,048 embeddings): such an answer is written on the JSON thread.
  if (route.heavyWork && isLargeAnswer(output)) answerJsonText(x, status, await pipeline.jsonThread.stringify(output));
  else answerJson(x, status, output);
}

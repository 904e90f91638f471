import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { appRouter } from './app-router.ts';
import { nativeErrorSchema, openAiErrorSchema, routeTreeOf } from '../router/errors.ts';
import { collectRoutes, transportRoutes, type RouteEntry } from '../router/route-table.ts';
import { scopes } from '../accounts/scopes.ts';
import type { TransportDeclaration } from '../router/transport.ts';
import { inputExample, placeExample, type ExampleSlots } from './openapi-examples.ts';

const statusDescriptions: Record<number, string> = {
  400: 'Bad request: the message names the field and the reason',
  401: 'Unauthorized: missing, malformed, unknown or revoked API key',
  402: 'Insufficient tokens',
  403: 'Forbidden: the API key lacks the scope this route requires',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported media type: send the body as a content type this route takes',
  429: 'Rate limited; retry after the Retry-After header',
  501: 'Realtime proxy not configured',
  502: 'The upstream provider failed or refused the service',
  503: 'Local capacity exhausted; retry later',
  504: 'The upstream provider did not answer in time',
};

const securitySchemeName = 'ApiKey';
const operationRef = '#/components/schemas/Operation';
const binary = { type: 'string', format: 'binary' };

interface Responses {
  [status: string]: { description?: string; content?: Record<string, { schema?: Record<string, unknown> }>; headers?: unknown };
}
interface OperationObject {
  description?: string;
  security?: unknown;
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses: Responses;
  [key: string]: unknown;
}

function errorResponse(status: number, schemaName: 'NativeError' | 'OpenAIError') {
  return {
    description: statusDescriptions[status] ?? 'Error',
    ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } } : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } },
  };
}

const takesBody = (method: string) => method === 'post' || method === 'put';

/** Routes no JSON procedure documents (raw bodies in, bytes out): their path items, from the declarations. */
function rawOnlyPaths(routes: RouteEntry[]): ZodOpenApiPathsObject {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { meta, transport } of transportRoutes(routes)) {
    if (meta.openapi || !transport.docs) continue;
    const parameters = [...transport.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      in: 'path' as const,
      name: name!,
      required: true,
      ...(name === transport.greedyParam ? { description: 'May contain "/". No empty, "." or ".." segments.' } : {}),
      schema: { type: 'string' as const },
    }));
    const method = transport.method.toLowerCase();
    const answer = transport.rawAnswer
      ? { content: Object.fromEntries(transport.rawAnswer.contentTypes.map((type) => [type, { schema: binary }])) }
      : transport.docs.jsonOutput
        ? { content: { 'application/json': { schema: transport.docs.jsonOutput } } }
        : {};
    paths[transport.path] ??= {};
    paths[transport.path]![method] = {
      operationId: `${transport.path.replace(/[{}]/g, '').split('/').filter(Boolean).join('-')}-${method}`,
      summary: transport.docs.summary,
      ...(transport.docs.description ? { description: transport.docs.description } : {}),
      tags: [transport.docs.tag],
      parameters,
      ...(transport.rawBody ? { requestBody: { required: true, content: { '*/*': { schema: binary } } } } : {}),
      responses: { '200': { description: method === 'head' ? 'The object exists' : 'Successful response', ...(method === 'head' ? {} : answer) } },
    };
  }
  return paths as ZodOpenApiPathsObject;
}

/** The multipart form of a JSON body: file parts as binary, every other field as in the JSON schema. */
function multipartSchema(transport: TransportDeclaration, json: Record<string, unknown> | undefined) {
  const files = transport.multipart!.files;
  const sample = { data: Buffer.alloc(0), contentType: 'application/octet-stream', filename: 'file' };
  const replaced = new Set(Object.values(files).flatMap((file) => Object.keys(file.into(sample))));
  const properties = { ...((json?.properties as Record<string, unknown> | undefined) ?? {}) };
  for (const name of replaced) delete properties[name];
  const required = ((json?.required as string[] | undefined) ?? []).filter((name) => !replaced.has(name));
  for (const [name, file] of Object.entries(files)) {
    properties[name] = binary;
    if (file.required) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** A 200 whose schema admits the operation too: the operation moves to its own 202. */
function splitAcceptedOperation(responses: Responses, native: boolean): void {
  const json = responses['200']?.content?.['application/json'];
  if (!json?.schema) return;
  const holder = native ? (json.schema.properties as Record<string, Record<string, unknown>> | undefined)?.data : json.schema;
  const members = holder?.anyOf as Record<string, unknown>[] | undefined;
  if (!holder || !members) return;
  const rest = members.filter((member) => member.$ref !== operationRef);
  if (rest.length === members.length) return;
  delete holder.anyOf;
  Object.assign(holder, rest.length === 1 ? rest[0] : { anyOf: rest });
  const operation = { $ref: operationRef };
  responses['202'] = {
    description: 'Accepted (async: true): the operation, to poll at /infra/ai/operations/{operation_id}',
    content: {
      'application/json': {
        schema: native ? { type: 'object', properties: { status: { type: 'string', const: 'ok' }, data: operation }, required: ['status', 'data'] } : operation,
      },
    },
  };
}

/** What the declarations add to a documented operation: scope, errors, other bodies and answers, 202, the input's example. */
function complete(operation: OperationObject, method: string, path: string, route: RouteEntry, streamed: boolean): void {
  const { meta } = route;
  if (meta.scope) {
    operation.security = [{ [securitySchemeName]: [meta.scope] }];
    operation['x-required-scope'] = meta.scope;
    operation.description = [operation.description, `Requires scope \`${meta.scope}\`.`].filter(Boolean).join('\n\n');
  }
  const responses = operation.responses;
  const transport = meta.transport;
  const ok = responses['200'];
  if (streamed && ok?.content) ok.content['text/event-stream'] = { schema: { type: 'string', description: 'With stream: true, server-sent events (see the route description)' } };
  if (transport?.multipart && operation.requestBody?.content) {
    operation.requestBody.content['multipart/form-data'] = { schema: multipartSchema(transport, operation.requestBody.content['application/json']?.schema) };
  }
  if (transport?.rawAnswer && ok) {
    const bytes = Object.fromEntries(transport.rawAnswer.contentTypes.map((type) => [type, { schema: type.startsWith('text/') ? { type: 'string' } : binary }]));
    ok.content = transport.rawAnswer.when ? { ...ok.content, ...bytes } : bytes;
  }
  if (meta.background) splitAcceptedOperation(responses, meta.envelope === 'native');

  const schemaName = routeTreeOf(path) === 'openai' ? 'OpenAIError' : 'NativeError';
  const statuses = new Set(meta.errorStatuses ?? []);
  // Every body is size-checked; JSON routes refuse other content types.
  if (takesBody(method)) {
    statuses.add(413);
    if (!transport?.rawBody) statuses.add(415);
  }
  for (const status of [...statuses].sort()) responses[String(status)] = errorResponse(status, schemaName);

  const example = inputExample((route.procedure._def as { inputs?: unknown[] }).inputs?.[0] ?? transport?.input);
  if (example) placeExample(operation as ExampleSlots, example, Boolean(transport?.rawBody));
}

/**
 * The OpenAPI 3.1 document of every route, generated from the procedures by trpc-to-openapi and
 * completed from what each procedure declares: its scope, its error statuses in its tree's
 * envelope, multipart bodies, byte and event-stream answers, the 202 of `async: true`, the
 * examples the input schemas carry, and the routes that are not JSON at all.
 */
export function createOpenApiDocument(baseUrl: string): OpenAPIObject {
  const routes = collectRoutes(appRouter);
  const document = generateOpenApiDocument(appRouter, {
    title: 'AI primitives API',
    description:
      'Atomic AI primitives. Canonical routes live under /infra/ai/* (native envelope); /v1/* aliases speak the OpenAI wire format. ' +
      `Authenticate with "Authorization: Bearer sk_live_..."; each route names the scope it needs (${scopes.join(', ')}).`,
    version: '0.1.0',
    baseUrl,
    securitySchemes: {
      [securitySchemeName]: { type: 'http', scheme: 'bearer', description: `API key (sk_live_...). Scopes: ${scopes.join(', ')}.` },
    },
    defs: { NativeError: nativeErrorSchema, OpenAIError: openAiErrorSchema },
    paths: rawOnlyPaths(routes),
  });

  const streamedPaths = new Set(transportRoutes(routes).flatMap(({ transport }) => (transport.sse ? [`post ${transport.path}`] : [])));
  const byOperation = new Map<string, RouteEntry>();
  for (const route of routes) {
    const method = (route.meta.openapi?.method ?? (route.meta.transport?.sse ? undefined : route.meta.transport?.method))?.toLowerCase();
    const path = route.meta.openapi?.path ?? route.meta.transport?.path;
    if (method && path) byOperation.set(`${method} ${path}`, route);
  }
  // The project's license (package.json), with its SPDX identifier, as OpenAPI 3.1 names it.
  document.info.license = { name: 'MIT', identifier: 'MIT' };
  for (const [path, pathItem] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(pathItem as Record<string, OperationObject>)) {
      const route = byOperation.get(`${method} ${path}`);
      if (route && typeof operation === 'object') complete(operation, method, path, route, streamedPaths.has(`${method} ${path}`));
    }
  }
  return document;
}

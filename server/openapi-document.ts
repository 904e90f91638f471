import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import type { AnyProcedure } from '@trpc/server';
import { appRouter } from '../router/app-router.ts';
import { nativeErrorSchema, openAiErrorSchema, routeTreeOf } from '../router/errors.ts';
import type { ProcedureMeta } from '../router/trpc.ts';
import { scopes } from '../router/scopes.ts';
import { rawRoutePaths } from './openapi-raw-routes.ts';

const statusDescriptions: Record<number, string> = {
  400: 'Bad request: the message names the field and the reason',
  401: 'Unauthorized: missing, malformed, unknown or revoked API key',
  402: 'Insufficient tokens',
  403: 'Forbidden: the API key lacks the scope this route requires',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  429: 'Rate limited; retry after the Retry-After header',
  501: 'Realtime proxy not configured',
};

const securitySchemeName = 'ApiKey';

interface OperationMeta {
  scope: string | undefined;
  errorStatuses: number[];
  streams: boolean;
}

function collectOperationMeta(): Map<string, OperationMeta> {
  const byOperation = new Map<string, OperationMeta>();
  // tRPC keeps a flat record of every procedure by dotted path.
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  for (const procedure of Object.values(procedures)) {
    const meta = procedure._def.meta as ProcedureMeta | undefined;
    if (!meta?.openapi) continue;
    byOperation.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, {
      scope: meta.scope,
      errorStatuses: meta.errorStatuses ?? [],
      streams: meta.streams ?? false,
    });
  }
  return byOperation;
}

function errorResponse(status: number, schemaName: 'NativeError' | 'OpenAIError') {
  return {
    description: statusDescriptions[status] ?? 'Error',
    ...(status === 429
      ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } }
      : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } },
  };
}

/**
 * The OpenAPI 3.1 document of every route, generated from the procedures, then completed with
 * what trpc-to-openapi cannot know: each route's scope and the error envelope of its tree.
 */
export function createOpenApiDocument(baseUrl: string): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: 'AI primitives API',
    description:
      'Atomic AI primitives. Canonical routes live under /infra/ai/* (native envelope); /v1/* aliases speak the OpenAI wire format. ' +
      `Authenticate with "Authorization: Bearer sk_live_..."; each route names the scope it needs (${scopes.join(', ')}).`,
    version: '0.1.0',
    baseUrl,
    securitySchemes: {
      [securitySchemeName]: {
        type: 'http',
        scheme: 'bearer',
        description: `API key (sk_live_...). Scopes: ${scopes.join(', ')}.`,
      },
    },
    defs: { NativeError: nativeErrorSchema, OpenAIError: openAiErrorSchema },
    paths: rawRoutePaths,
  });

  const operations = collectOperationMeta();
  for (const [path, pathItem] of Object.entries(document.paths ?? {})) {
    const schemaName = routeTreeOf(path) === 'openai' ? 'OpenAIError' : 'NativeError';
    for (const [method, operation] of Object.entries(pathItem as Record<string, Record<string, unknown>>)) {
      const meta = operations.get(`${method} ${path}`);
      if (!meta || typeof operation !== 'object') continue;
      if (meta.scope) {
        operation.security = [{ [securitySchemeName]: [meta.scope] }];
        operation['x-required-scope'] = meta.scope;
        operation.description = [operation.description, `Requires scope \`${meta.scope}\`.`].filter(Boolean).join('\n\n');
      }
      const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>;
      if (meta.streams && responses['200']?.content) {
        responses['200'].content['text/event-stream'] = {
          schema: { type: 'string', description: 'With stream: true, server-sent events (see the route description)' },
        };
      }
      for (const status of meta.errorStatuses) responses[String(status)] = errorResponse(status, schemaName);
    }
  }

  // Speech answers audio bytes: always on /v1, with response_format "binary" on the native route.
  const audioContent = { 'audio/*': { schema: { type: 'string', format: 'binary' } } };
  for (const [path, keepJson] of [['/v1/audio/speech', false], ['/infra/ai/audio/speech', true]] as const) {
    const ok = (document.paths?.[path] as { post?: { responses?: Record<string, { content?: Record<string, unknown> }> } } | undefined)?.post?.responses?.['200'];
    if (ok) ok.content = keepJson ? { ...ok.content, ...audioContent } : audioContent;
  }

  // Routes that also take multipart/form-data (served by server/*-routes.ts before the REST adapter).
  const binary = { type: 'string', format: 'binary' };
  const text = { type: 'string' };
  const audioUpload = { file: binary, model: text, prompt: text, language: text, response_format: text, temperature: text, async: text, webhook_topic: text };
  const imageUpload = { image: binary, mask: binary, prompt: text, model: text, n: text, size: text, response_format: text, async: text, webhook_topic: text };
  const multipart: Record<string, { required: string[]; properties: Record<string, unknown> }> = {
    '/infra/ai/documents/parse': { required: ['file'], properties: { file: binary, content_type: text, async: text, webhook_topic: text, result_destination: text } },
    '/infra/ai/audio/transcriptions': { required: ['file'], properties: audioUpload },
    '/infra/ai/audio/translations': { required: ['file'], properties: audioUpload },
    '/v1/audio/transcriptions': { required: ['file'], properties: audioUpload },
    '/v1/audio/translations': { required: ['file'], properties: audioUpload },
    '/infra/ai/images/edits': { required: ['image', 'prompt'], properties: imageUpload },
    '/infra/ai/images/variations': { required: ['image'], properties: imageUpload },
    '/v1/images/edits': { required: ['image', 'prompt'], properties: imageUpload },
    '/v1/images/variations': { required: ['image'], properties: imageUpload },
  };
  for (const [path, schema] of Object.entries(multipart)) {
    const post = (document.paths?.[path] as { post?: { requestBody?: { content?: Record<string, unknown> }; responses?: Record<string, { content?: Record<string, unknown> }> } } | undefined)?.post;
    if (post?.requestBody?.content) post.requestBody.content['multipart/form-data'] = { schema: { type: 'object', ...schema } };
    // OpenAI answers text, SRT and WebVTT transcripts as plain text.
    if (path.startsWith('/v1/audio/') && post?.responses?.['200']?.content) post.responses['200'].content['text/plain'] = { schema: text };
  }
  return document;
}

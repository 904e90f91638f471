import express, { type Express, type Request, type Response } from 'express';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import { sql } from 'kysely';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { createRequestContext } from './request-context.ts';
import { createSseRouter } from './sse-routes.ts';
import { createStorageRouter } from './storage-routes.ts';
import { createMultipartRouter } from './multipart-routes.ts';
import { createAudioRouter } from './audio-routes.ts';
import { createRecognitionRouter } from './recognition-routes.ts';
import { createImageRouter } from './image-routes.ts';
import { describeError } from '../router/errors.ts';
import { createDocsRouter } from './docs-page.ts';
import { answerUnknownRoute, createErrorHandler, replaceAdapterErrorBodies } from './error-responses.ts';
import { createOpenApiDocument } from './openapi-document.ts';
import { localsOf, trackRequests } from './request-lifecycle.ts';

/**
 * Model ids may contain `/` (`vllm:meta-llama/Llama-3.1-8B`). Clients should percent-encode
 * them, but a raw slash would otherwise miss the `{model_id}` route: fold the tail into one segment.
 */
const modelPathWithSlashes = /^\/(infra\/ai|v1)\/models\/([^/]+\/.+)$/;

function foldModelIdSlashes(req: Request, _res: Response, next: () => void): void {
  const match = modelPathWithSlashes.exec(req.path);
  if (match && req.method === 'GET') {
    const query = req.url.slice(req.path.length);
    let modelId = match[2]!;
    try {
      modelId = decodeURIComponent(modelId);
    } catch {
      // leave it as sent; the catalog lookup answers 404
    }
    req.url = `/${match[1]}/models/${encodeURIComponent(modelId)}${query}`;
  }
  next();
}

export function createApp(services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(trackRequests(services.logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await sql`select 1`.execute(services.db);
      res.json({ status: 'ok', database: 'reachable' });
    } catch {
      res.status(503).json({ status: 'error', database: 'unreachable' });
    }
  });

  const openApiDocument = JSON.stringify(
    createOpenApiDocument(services.config.publicBaseUrl ?? `http://localhost:${services.config.port}`),
  );
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiDocument);
  });
  app.use(createDocsRouter());

  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: services.config.maxBodyBytes,
      createContext: ({ req, res }) => createRequestContext(services, req, res),
    }),
  );

  const openApiHandler = createOpenApiNodeHttpHandler<typeof appRouter, Request, Response>({
    router: appRouter,
    maxBodySize: services.config.maxBodyBytes,
    createContext: ({ req, res }) => createRequestContext(services, req, res),
    onError: ({ error, req }) => {
      const failure = describeError(error);
      const res = (req as Request).res!;
      localsOf(res).failure = failure;
      if (failure.status >= 500) services.logger.error({ err: error, request_id: localsOf(res).requestId }, 'procedure failed');
    },
    responseMeta: ({ errors, ctx }) => {
      const headers = ctx?.response.headers ?? {};
      const error = errors[0];
      if (!error) return { ...(ctx?.response.status ? { status: ctx.response.status } : {}), headers };
      const failure = describeError(error);
      return { status: failure.status, headers: { ...headers, ...failure.headers } };
    },
  });

  // Raw object bodies: before the JSON parser, which would otherwise consume JSON uploads.
  app.use(createStorageRouter(services));
  app.use(createMultipartRouter(services));
  const apiTrees = ['/infra', '/v1'];
  app.use(apiTrees, express.json({ limit: services.config.maxBodyBytes }));
  app.use(foldModelIdSlashes);
  app.use(createSseRouter(services));
  app.use(createAudioRouter(services));
  app.use(createRecognitionRouter(services));
  app.use(createImageRouter(services));
  app.use(apiTrees, replaceAdapterErrorBodies, (req, res, next) => {
    // Mounted handlers see the path relative to the mount; the adapter matches full paths.
    const mountedUrl = req.url;
    req.url = req.baseUrl + mountedUrl;
    void openApiHandler(req, res, () => {
      req.url = mountedUrl;
      next();
    });
  });
  app.use(answerUnknownRoute);
  app.use(createErrorHandler(services.logger));
  return app;
}

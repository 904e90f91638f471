import cors from 'cors';
import express, { type Express, type Request, type Response } from 'express';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import { sql } from 'kysely';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { createRequestContext } from './request-context.ts';
import { transportApiRoutes } from './transports.ts';
import { createApiDispatcher } from './api-dispatch.ts';
import { acceptEmptyBodies, authenticateBeforeBody, jsonBody } from './body-guards.ts';
import { describeError } from '../router/errors.ts';
import { rateLimitHeaderNames, rateLimitHeaders } from '../router/rate-limits.ts';
import { createDocsRouter } from './docs-page.ts';
import { createDashboardRouter } from './dashboard-page.ts';
import { answerUnknownRoute, createErrorHandler, logFailure, replaceAdapterErrorBodies } from './error-responses.ts';
import { createOpenApiDocument } from './openapi-document.ts';
import { jsonApiRoutes } from './json-routes.ts';
import { echoRequestIds, localsOf, trackRequests } from './request-lifecycle.ts';
import { metricsRoute } from './observability/metrics-route.ts';

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

/** The REST trees, and their paths matched as express mounts them (any case, whole segments). */
const apiTrees = ['/infra', '/v1'];
const apiTreePath = new RegExp(`^(?:${apiTrees.join('|')})(?:/|$)`, 'i');

export function createApp(services: Services): Express {
  const app = express();
  echoRequestIds(app);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(trackRequests(services.logger, services.metrics));
  if (services.tracing.requests) app.use(services.tracing.requests);

  const origins = services.config.corsOrigins;
  if (origins.length > 0) {
    const anyOrigin = origins.includes('*');
    // Keys travel in Authorization headers, never cookies: no credentials mode is needed.
    const answerCors = cors({ origin: anyOrigin ? '*' : origins, exposedHeaders: ['x-request-id', 'retry-after', ...rateLimitHeaderNames], maxAge: 600 });
    // A request without Origin is not a browser's cross-origin call: with every origin allowed
    // there is nothing to add to its answer (a list of origins still marks every answer `Vary: Origin`).
    app.use((req, res, next) => (anyOrigin && req.headers.origin === undefined ? next() : answerCors(req, res, next)));
  }

  // The REST trees in one step, ahead of the pages (each express layer a call passes costs as
  // much as a lookup): the key is checked before any body is read, then multipart, raw bodies,
  // byte answers and server-sent events, as each procedure declares them (each reads its own
  // body), then the plain JSON routes, behind one lookup. What none of them takes (JSON that needs
  // coercing, content types to refuse) goes on to trpc-to-openapi's adapter below.
  const jsonReaders = [jsonBody(services.config), acceptEmptyBodies];
  const authenticate = authenticateBeforeBody(services);
  const dispatch = createApiDispatcher([...transportApiRoutes(services, appRouter), ...jsonApiRoutes(services, appRouter, jsonReaders)]);
  app.use((req, res, next) => {
    if (!apiTreePath.test(req.path)) return next();
    foldModelIdSlashes(req, res, () => void authenticate(req, res, () => dispatch(req, res, next)));
  });

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

  app.get('/metrics', metricsRoute(services.metrics, services.config.observability.metricsToken));

  // Without PUBLIC_BASE_URL the document names its server relatively ("/"), so /docs "Try it out"
  // calls whatever host the page was opened on.
  const openApiDocument = JSON.stringify(createOpenApiDocument(services.config.publicBaseUrl ?? '/'));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiDocument);
  });
  app.use(createDocsRouter());
  app.use(createDashboardRouter());

  // /trpc keeps its own error shape: its bodies are JSON within MAX_BODY_BYTES, checked by length.
  app.use(
    '/trpc',
    jsonBody(services.config),
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: services.config.maxBodyBytes,
      createContext: ({ req, res }) => createRequestContext(services, req, res),
      // The same rate-limit headers as the REST trees.
      responseMeta: ({ ctx }) => ({ headers: rateLimitHeaders(ctx?.response.rateLimits ?? {}) }),
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
      logFailure(services.logger, failure, error, localsOf(res).requestId);
    },
    responseMeta: ({ errors, ctx }) => {
      const headers = rateLimitHeaders(ctx?.response.rateLimits ?? {});
      const error = errors[0];
      if (!error) return { ...(ctx?.response.status ? { status: ctx.response.status } : {}), headers };
      const failure = describeError(error);
      return { status: failure.status, headers: { ...headers, ...failure.headers } };
    },
  });

  app.use(apiTrees, ...jsonReaders);
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

import { createHash, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { sql } from 'kysely';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import type { ServerServices } from '../server-services.ts';
import { ApiError } from '../../router/errors.ts';
import { createOpenApiDocument } from '../openapi-document.ts';
import { answerJson } from './answers.ts';
import { requestIdHeader, type Exchange } from './exchange.ts';
import { compilePath, type PathPattern } from './route-table.ts';

/** What is not the API: health, metrics, the OpenAPI document, the docs and the dashboard. Never a body, never a key. */
export interface PageRoute {
  kind: 'page';
  method: 'GET';
  pattern: PathPattern;
  tree: 'native';
  serve(x: Exchange, params: Record<string, string>): void | Promise<void>;
}

const page = (template: string, serve: PageRoute['serve'], greedyParam?: string): PageRoute => ({
  kind: 'page',
  method: 'GET',
  pattern: compilePath(template, greedyParam),
  tree: 'native',
  serve,
});

/** An express handler (static files) serving `file` of its folder: it writes its own answer, else the file is not there. */
function fromFolder(handler: RequestHandler): (x: Exchange, file: string) => Promise<void> {
  return (x, file) =>
    new Promise((resolve, reject) => {
      const segments = file.split('/');
      if (segments.some((segment) => segment === '.' || segment === '..')) {
        reject(new ApiError('not_found', `path: no file "${file}"`));
        return;
      }
      const req = x.req as Request;
      const res = x.res as Response;
      req.url = `/${segments.map(encodeURIComponent).join('/')}`;
      res.setHeader(requestIdHeader, x.requestId);
      res.once('close', () => resolve());
      handler(req, res, () => reject(new ApiError('not_found', `path: no file "${file}"`)));
    });
}

const dashboardDir = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * Everything comes from this origin: the policy makes a stray CDN reference fail loudly. Audio
 * and images answered by the API are shown from data: and blob: URLs.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * The dashboard: plain ES modules and one stylesheet served as they are in the repository, so
 * `npm start` serves it with no build step. Pages are chosen by the URL hash, hence one HTML route.
 */
function dashboardPages(): PageRoute[] {
  const files = fromFolder(
    // Revalidated each load: a changed module is never mixed with stale ones.
    express.static(dashboardDir, { index: false, redirect: false, cacheControl: true, maxAge: 0, setHeaders: secure, fallthrough: true }),
  );
  return [
    page('/', (x) => {
      x.res.writeHead(302, { location: '/dashboard', 'content-length': '0', [requestIdHeader]: x.requestId });
      x.res.end();
    }),
    page('/dashboard', (x) => {
      secure(x.res as Response);
      return files(x, 'index.html');
    }),
    page('/dashboard/{file}', (x, { file }) => files(x, file!), 'file'),
  ];
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>AI primitives API reference</title>
  <link rel="icon" type="image/png" sizes="32x32" href="/docs/assets/favicon-32x32.png">
  <link rel="icon" type="image/png" sizes="16x16" href="/docs/assets/favicon-16x16.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const docsInit = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
});`;

function sendText(x: Exchange, contentType: string, text: string, headers: Record<string, string> = {}): void {
  x.res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)), [requestIdHeader]: x.requestId, ...headers });
  x.res.end(x.req.method === 'HEAD' ? undefined : text);
}

/** An interactive reference rendered from /openapi.json, served from the installed package (works offline). */
function docsPages(publicBaseUrl: string | undefined): PageRoute[] {
  const assets = fromFolder(express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h', fallthrough: true }));
  // Without PUBLIC_BASE_URL the document names its server relatively ("/"), so /docs "Try it out"
  // calls whatever host the page was opened on.
  const openApiDocument = JSON.stringify(createOpenApiDocument(publicBaseUrl ?? '/'));
  return [
    page('/docs', (x) => sendText(x, 'text/html; charset=utf-8', docsPage)),
    page('/docs/init.js', (x) => sendText(x, 'application/javascript; charset=utf-8', docsInit)),
    page('/docs/assets/{file}', (x, { file }) => assets(x, file!), 'file'),
    page('/openapi.json', (x) => sendText(x, 'application/json', openApiDocument)),
  ];
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics` in the Prometheus text format. With METRICS_TOKEN set, only
 * `Authorization: Bearer <METRICS_TOKEN>` may read it (a token apart from API keys: scrapers
 * hold no project's key); compared in constant time.
 */
function metricsPage(services: ServerServices): PageRoute {
  const token = services.config.observability.metricsToken;
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return page('/metrics', async (x) => {
    if (expected) {
      const sent = x.req.headers.authorization;
      if (!sent || !timingSafeEqual(digest(sent), expected)) {
        throw new ApiError('unauthorized', 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"', { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } });
      }
    }
    const { contentType, body } = await services.metrics.scrape();
    sendText(x, contentType, body, { 'cache-control': 'no-store' });
  });
}

function healthPages(services: ServerServices): PageRoute[] {
  return [
    page('/healthz', (x) => answerJson(x, 200, { status: 'ok' })),
    page('/readyz', async (x) => {
      try {
        await sql`select 1`.execute(services.db);
        answerJson(x, 200, { status: 'ok', database: 'reachable' });
      } catch {
        answerJson(x, 503, { status: 'error', database: 'unreachable' }, { 'Retry-After': '1' });
      }
    }),
  ];
}

export function pageRoutes(services: ServerServices): PageRoute[] {
  return [...healthPages(services), metricsPage(services), ...docsPages(services.config.publicBaseUrl), ...dashboardPages()];
}

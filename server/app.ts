import { appRouter } from './app-router.ts';
import type { ServerServices } from './server-services.ts';
import { createPipeline, type Pipeline } from './http/pipeline.ts';

/**
 * The application: one request pipeline (server/http/pipeline.ts) serves every request the
 * process answers (both REST trees, /trpc, the pages) and every websocket upgrade, as the HTTP
 * server's listener itself. An express app in front of it cost ~10 µs of CPU a request (5 % of a
 * proxied chat completion, alternating 3-second slices of the same load) and did nothing the
 * pipeline does not: it routes, reads bodies and writes answers. express serves static files
 * (the dashboard, the docs assets) behind the pipeline's page routes.
 */
export function createApp(services: ServerServices): Pipeline {
  return createPipeline(services, appRouter);
}

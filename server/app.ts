import express, { type Express } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { createPipeline, type Pipeline } from './http/pipeline.ts';

/**
 * The express app: one mount, the request pipeline (server/http/pipeline.ts), which serves every
 * request the process answers (both REST trees, /trpc, the pages) and every websocket upgrade.
 */
export function createApp(services: Services): { app: Express; pipeline: Pipeline } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  const pipeline = createPipeline(services, appRouter);
  app.use((req, res) => pipeline.handle(req, res));
  return { app, pipeline };
}

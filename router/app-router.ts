import { router } from './trpc.ts';
import { modelsRouter, openAiModelsRouter } from '../procedures/models.ts';

/**
 * Procedure paths mirror the REST trees, so a typed client reads like the docs:
 * `client.infra.ai.models.list.query()` is `GET /infra/ai/models`.
 */
export const appRouter = router({
  infra: router({
    ai: router({
      models: modelsRouter,
    }),
  }),
  v1: router({
    models: openAiModelsRouter,
  }),
});

export type AppRouter = typeof appRouter;

import { router } from './trpc.ts';
import { modelsRouter, openAiModelsRouter } from '../procedures/models.ts';
import { openAiResponsesRouter, responsesRouter } from '../procedures/responses.ts';
import { chatCompletionsRouter } from '../procedures/chat-completions.ts';

/**
 * Procedure paths mirror the REST trees, so a typed client reads like the docs:
 * `client.infra.ai.models.list.query()` is `GET /infra/ai/models`.
 */
export const appRouter = router({
  infra: router({
    ai: router({
      models: modelsRouter,
      responses: responsesRouter,
    }),
  }),
  v1: router({
    models: openAiModelsRouter,
    responses: openAiResponsesRouter,
    chat: router({ completions: chatCompletionsRouter }),
  }),
});

export type AppRouter = typeof appRouter;

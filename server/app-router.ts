import { router } from '../router/trpc.ts';
import { modelsRouter, openAiModelsRouter } from '../procedures/models.ts';
import { openAiResponsesRouter, responsesRouter } from '../procedures/responses.ts';
import { chatCompletionsRouter } from '../procedures/chat-completions.ts';
import { operationsRouter } from '../procedures/operations.ts';
import { storageRouter } from '../procedures/storage.ts';
import { webhooksRouter } from '../procedures/webhooks.ts';
import { usageProcedure } from '../procedures/usage.ts';
import { embeddingsRouter, openAiEmbeddingsRouter } from '../procedures/embeddings.ts';
import { documentsRouter } from '../procedures/documents.ts';
import { rerankProcedure } from '../procedures/rerank.ts';
import { tokenizeProcedure } from '../procedures/tokenize.ts';
import { moderationsRouter, openAiModerationsRouter } from '../procedures/moderations.ts';
import { openAiRealtimeRouter, realtimeRouter } from '../procedures/realtime.ts';
import { audioRouter, openAiAudioRouter } from '../procedures/audio.ts';
import { imagesRouter, openAiImagesRouter } from '../procedures/images.ts';

/**
 * Procedure paths mirror the REST trees, so a typed client reads like the docs:
 * `client.infra.ai.models.list.query()` is `GET /infra/ai/models`.
 */
export const appRouter = router({
  infra: router({
    ai: router({
      models: modelsRouter,
      responses: responsesRouter,
      operations: operationsRouter,
      usage: usageProcedure,
      embeddings: embeddingsRouter,
      documents: documentsRouter,
      rerank: rerankProcedure,
      tokenize: tokenizeProcedure,
      moderations: moderationsRouter,
      realtime: realtimeRouter,
      audio: audioRouter,
      images: imagesRouter,
    }),
    storage: storageRouter,
    webhooks: webhooksRouter,
  }),
  v1: router({
    models: openAiModelsRouter,
    responses: openAiResponsesRouter,
    chat: router({ completions: chatCompletionsRouter }),
    embeddings: openAiEmbeddingsRouter,
    moderations: openAiModerationsRouter,
    realtime: openAiRealtimeRouter,
    audio: openAiAudioRouter,
    images: openAiImagesRouter,
  }),
});

export type AppRouter = typeof appRouter;

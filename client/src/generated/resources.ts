// Generated from the app router by `npm run client:generate`: do not edit.
// test/client/generated-routes.test.ts fails when this file no longer matches the router.

import type { Http } from '../http.js';
import { resourceCalls } from '../resource-calls.js';

/** Every route of the trees the client covers, by its router path or the name client/scripts/client-names.ts gives it. */
export function createResources(http: Http) {
  const { call, optionalInput, byId, stream, callOrStream } = resourceCalls(http);
  return {
    infra: {
      ai: {
        models: {
          /** GET /infra/ai/models: List AI models */
          list: optionalInput('infra.ai.models.list'),
          /** GET /infra/ai/models/{model_id}: Get AI model */
          get: byId('infra.ai.models.get', 'model_id'),
        },
        responses: {
          /** POST /infra/ai/responses: Create response */
          create: callOrStream('infra.ai.responses.create', 'infra.ai.responses.stream'),
          /** POST /infra/ai/responses with stream: true, as events */
          stream: stream('infra.ai.responses.stream'),
          /** POST /v1/chat/completions: Create chat completion (OpenAI-compatible) */
          chatCompletions: callOrStream('v1.chat.completions.create', 'v1.chat.completions.stream'),
          /** POST /v1/chat/completions with stream: true, as events */
          chatCompletionsStream: stream('v1.chat.completions.stream'),
        },
        operations: {
          /** GET /infra/ai/operations: List operations */
          list: optionalInput('infra.ai.operations.list'),
          /** GET /infra/ai/operations/{operation_id}: Get operation */
          get: byId('infra.ai.operations.get', 'operation_id'),
          /** POST /infra/ai/operations/{operation_id}/cancel: Cancel operation */
          cancel: byId('infra.ai.operations.cancel', 'operation_id'),
        },
        usage: {
          /** GET /infra/ai/usage: Get balance and usage */
          get: optionalInput('infra.ai.usage'),
        },
        embeddings: {
          /** POST /infra/ai/embeddings: Create embeddings */
          create: call('infra.ai.embeddings.create'),
        },
        documents: {
          /** POST /infra/ai/documents/chunk: Chunk a document */
          chunk: call('infra.ai.documents.chunk'),
          /** POST /infra/ai/documents/parse: Parse a document */
          parse: call('infra.ai.documents.parse'),
        },
        rerank: {
          /** POST /infra/ai/rerank: Rerank documents */
          create: call('infra.ai.rerank'),
        },
        /** POST /infra/ai/tokenize: Tokenize text */
        tokenize: call('infra.ai.tokenize'),
        moderations: {
          /** POST /infra/ai/moderations: Moderate content */
          create: call('infra.ai.moderations.create'),
        },
        realtime: {
          /** POST /infra/ai/realtime/sessions: Create realtime session */
          createSession: optionalInput('infra.ai.realtime.sessions.create'),
        },
        audio: {
          /** POST /infra/ai/audio/speech: Generate speech */
          speech: call('infra.ai.audio.speech.create'),
          /** POST /infra/ai/audio/transcriptions: Transcribe audio */
          transcribe: call('infra.ai.audio.transcriptions.create'),
          /** POST /infra/ai/audio/translations: Translate audio to English */
          translate: call('infra.ai.audio.translations.create'),
        },
        images: {
          /** POST /infra/ai/images/generations: Generate images */
          generate: call('infra.ai.images.generations.create'),
          /** POST /infra/ai/images/edits: Edit an image */
          edit: call('infra.ai.images.edits.create'),
          /** POST /infra/ai/images/variations: Create image variations */
          variations: call('infra.ai.images.variations.create'),
        },
      },
      storage: {
        buckets: {
          /** POST /infra/storage/buckets: Create bucket */
          create: call('infra.storage.buckets.create'),
          /** GET /infra/storage/buckets: List buckets */
          list: optionalInput('infra.storage.buckets.list'),
        },
        objects: {
          /** GET /infra/storage/buckets/{bucket_id}/objects: List objects */
          list: call('infra.storage.objects.list'),
          /** PUT /infra/storage/buckets/{bucket_id}/objects/{key}: Put object */
          put: call('infra.storage.objects.put'),
          /** GET /infra/storage/buckets/{bucket_id}/objects/{key}: Get object */
          get: call('infra.storage.objects.get'),
          /** DELETE /infra/storage/buckets/{bucket_id}/objects/{key}: Delete object */
          delete: call('infra.storage.objects.delete'),
        },
      },
      webhooks: {
        endpoints: {
          /** POST /infra/webhooks/endpoints: Create webhook endpoint */
          create: call('infra.webhooks.endpoints.create'),
          /** GET /infra/webhooks/endpoints: List webhook endpoints */
          list: optionalInput('infra.webhooks.endpoints.list'),
          /** DELETE /infra/webhooks/endpoints/{endpoint_id}: Delete webhook endpoint */
          delete: byId('infra.webhooks.endpoints.delete', 'endpoint_id'),
        },
        deliveries: {
          /** GET /infra/webhooks/deliveries: List webhook deliveries */
          list: optionalInput('infra.webhooks.deliveries'),
        },
      },
    },
    v1: {
      models: {
        /** GET /v1/models: List models (OpenAI-compatible) */
        list: optionalInput('v1.models.list'),
        /** GET /v1/models/{model_id}: Get model (OpenAI-compatible) */
        retrieve: byId('v1.models.retrieve', 'model_id'),
      },
      responses: {
        /** POST /v1/responses: Create response (OpenAI-compatible) */
        create: callOrStream('v1.responses.create', 'v1.responses.stream'),
        /** POST /v1/responses with stream: true, as events */
        stream: stream('v1.responses.stream'),
        /** GET /v1/responses/{response_id}: Get a stored response (OpenAI-compatible) */
        retrieve: byId('v1.responses.retrieve', 'response_id'),
        /** DELETE /v1/responses/{response_id}: Delete a stored response (OpenAI-compatible) */
        delete: byId('v1.responses.delete', 'response_id'),
        /** POST /v1/responses/{response_id}/cancel: Cancel a background response (OpenAI-compatible) */
        cancel: byId('v1.responses.cancel', 'response_id'),
        inputItems: {
          /** GET /v1/responses/{response_id}/input_items: List the input items of a stored response (OpenAI-compatible) */
          list: call('v1.responses.inputItems.list'),
        },
      },
      chat: {
        completions: {
          /** POST /v1/chat/completions: Create chat completion (OpenAI-compatible) */
          create: callOrStream('v1.chat.completions.create', 'v1.chat.completions.stream'),
          /** POST /v1/chat/completions with stream: true, as events */
          stream: stream('v1.chat.completions.stream'),
        },
      },
      embeddings: {
        /** POST /v1/embeddings: Create embeddings (OpenAI-compatible) */
        create: call('v1.embeddings.create'),
      },
      moderations: {
        /** POST /v1/moderations: Moderate content (OpenAI-compatible) */
        create: call('v1.moderations.create'),
      },
      realtime: {
        sessions: {
          /** POST /v1/realtime/sessions: Create realtime session (OpenAI-compatible) */
          create: optionalInput('v1.realtime.sessions.create'),
        },
        clientSecrets: {
          /** POST /v1/realtime/client_secrets: Create realtime client secret (OpenAI-compatible) */
          create: optionalInput('v1.realtime.clientSecrets.create'),
        },
      },
      audio: {
        speech: {
          /** POST /v1/audio/speech: Generate speech (OpenAI-compatible) */
          create: call('v1.audio.speech.create'),
        },
        transcriptions: {
          /** POST /v1/audio/transcriptions: Create transcription (OpenAI-compatible) */
          create: callOrStream('v1.audio.transcriptions.create', 'v1.audio.transcriptions.stream'),
          /** POST /v1/audio/transcriptions with stream: true, as events */
          stream: stream('v1.audio.transcriptions.stream'),
        },
        translations: {
          /** POST /v1/audio/translations: Create translation (OpenAI-compatible) */
          create: call('v1.audio.translations.create'),
        },
      },
      images: {
        /** POST /v1/images/generations: Generate images (OpenAI-compatible) */
        generate: call('v1.images.generations.create'),
        /** POST /v1/images/edits: Edit an image (OpenAI-compatible) */
        edit: call('v1.images.edits.create'),
        /** POST /v1/images/variations: Create image variations (OpenAI-compatible) */
        createVariation: call('v1.images.variations.create'),
      },
    },
  };
}

import { createHttp, type ClientOptions, type RequestOptions } from './http.js';
import { createOperations } from './operations.js';
import { callRoute, streamRoute, type CallName, type Immediate, type Input, type Output, type StreamEvent, type StreamInput, type StreamName } from './routes.js';

/** A call of one route: its input in, its answer out. */
export type Call<N extends CallName> = 'async' extends keyof Input<N> ? CallMaybeInBackground<N> : CallNow<N>;

export interface CallNow<N extends CallName> {
  (input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N>>;
}

/**
 * A route that takes `async: true`: without it the answer is the primitive's result; with it,
 * the answer may be the accepted operation (hand it to `operations.result` for the result).
 */
export interface CallMaybeInBackground<N extends CallName> {
  (input: Input<N> & { async?: false }, requestOptions?: RequestOptions): Promise<Immediate<N>>;
  (input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N>>;
}

/** A call of one route whose input may be left out. */
export interface OptionalInputCall<N extends CallName> {
  (input?: Input<N>, requestOptions?: RequestOptions): Promise<Output<N>>;
}
/** A call of one route named by its id (a path parameter). */
export interface CallById<N extends CallName> {
  (id: string, requestOptions?: RequestOptions): Promise<Output<N>>;
}
/** One streamed route: its input in, its events out as they come. */
export interface Stream<N extends StreamName> {
  (input: StreamInput<N>, requestOptions?: RequestOptions): AsyncIterable<StreamEvent<N>>;
}

/**
 * A client whose calls read like the API reference: `ss.infra.ai.models.list()`,
 * `ss.infra.ai.responses.create({...})`. Canonical calls answer the native envelope
 * (`{ status: 'ok', data }`); `ss.v1.*` answers OpenAI shapes. Every input and answer type is
 * generated from the service's router.
 */
export function createClient(options: ClientOptions) {
  const http = createHttp(options);
  const call =
    <N extends CallName>(name: N) =>
    ((input: Input<N>, requestOptions?: RequestOptions) => callRoute(http, name, input, requestOptions)) as Call<N>;
  const optionalInput =
    <N extends CallName>(name: N, empty: Input<N>): OptionalInputCall<N> =>
    (input = empty, requestOptions) =>
      callRoute(http, name, input, requestOptions);
  const byId =
    <N extends CallName>(name: N, toInput: (id: string) => Input<N>): CallById<N> =>
    (id, requestOptions) =>
      callRoute(http, name, toInput(id), requestOptions);
  const stream =
    <N extends StreamName>(name: N): Stream<N> =>
    (input, requestOptions) =>
      streamRoute(http, name, input, requestOptions);
  const operations = createOperations(http);

  return {
    infra: {
      ai: {
        models: {
          list: optionalInput('infra.ai.models.list', {}),
          get: byId('infra.ai.models.get', (modelId) => ({ model_id: modelId })),
        },
        responses: {
          create: call('infra.ai.responses.create'),
          /** The Responses API event sequence, as it is generated. */
          stream: stream('infra.ai.responses.stream'),
          /** `POST /v1/chat/completions`: OpenAI Chat Completions shapes. */
          chatCompletions: call('v1.chat.completions.create'),
          /** Chat completion chunks, as they are generated. */
          chatCompletionsStream: stream('v1.chat.completions.stream'),
        },
        realtime: {
          createSession: call('infra.ai.realtime.sessions.create'),
        },
        embeddings: { create: call('infra.ai.embeddings.create') },
        rerank: { create: call('infra.ai.rerank') },
        moderations: { create: call('infra.ai.moderations.create') },
        audio: {
          transcribe: call('infra.ai.audio.transcriptions.create'),
          translate: call('infra.ai.audio.translations.create'),
          speech: call('infra.ai.audio.speech.create'),
        },
        images: {
          generate: call('infra.ai.images.generations.create'),
          edit: call('infra.ai.images.edits.create'),
          variations: call('infra.ai.images.variations.create'),
        },
        documents: {
          parse: call('infra.ai.documents.parse'),
          chunk: call('infra.ai.documents.chunk'),
        },
        operations,
        usage: {
          get: optionalInput('infra.ai.usage', {}),
        },
      },
      /** Buckets and objects: inputs by `storage_ref`, results by `result_destination`. */
      storage: {
        buckets: {
          create: call('infra.storage.buckets.create'),
          list: optionalInput('infra.storage.buckets.list', {}),
        },
        objects: {
          list: call('infra.storage.objects.list'),
          /** The object's bytes as the request body (`body`, a Uint8Array), with their `content_type`. */
          put: call('infra.storage.objects.put'),
          /** The object's bytes and content type. */
          get: call('infra.storage.objects.get'),
          delete: call('infra.storage.objects.delete'),
        },
      },
      /** Endpoints that background operations notify (signed), and what was delivered to them. */
      webhooks: {
        endpoints: {
          create: call('infra.webhooks.endpoints.create'),
          list: optionalInput('infra.webhooks.endpoints.list', {}),
          delete: byId('infra.webhooks.endpoints.delete', (endpointId) => ({ endpoint_id: endpointId })),
        },
        deliveries: { list: optionalInput('infra.webhooks.deliveries', {}) },
      },
    },
    /** The OpenAI-compatible tree, named as the router names it (and as the `openai` SDK mostly does). */
    v1: {
      models: {
        list: optionalInput('v1.models.list', {}),
        retrieve: byId('v1.models.retrieve', (modelId) => ({ model_id: modelId })),
      },
      responses: {
        create: call('v1.responses.create'),
        stream: stream('v1.responses.stream'),
        retrieve: byId('v1.responses.retrieve', (responseId) => ({ response_id: responseId })),
        delete: byId('v1.responses.delete', (responseId) => ({ response_id: responseId })),
        cancel: byId('v1.responses.cancel', (responseId) => ({ response_id: responseId })),
        inputItems: { list: call('v1.responses.inputItems.list') },
      },
      chat: { completions: { create: call('v1.chat.completions.create'), stream: stream('v1.chat.completions.stream') } },
      embeddings: { create: call('v1.embeddings.create') },
      moderations: { create: call('v1.moderations.create') },
      realtime: { sessions: { create: call('v1.realtime.sessions.create') }, clientSecrets: { create: call('v1.realtime.clientSecrets.create') } },
      audio: {
        speech: { create: call('v1.audio.speech.create') },
        transcriptions: { create: call('v1.audio.transcriptions.create'), stream: stream('v1.audio.transcriptions.stream') },
        translations: { create: call('v1.audio.translations.create') },
      },
      images: {
        generate: call('v1.images.generations.create'),
        edit: call('v1.images.edits.create'),
        createVariation: call('v1.images.variations.create'),
      },
    },
    /** Any JSON route by its router path, for what the surfaces above do not name. */
    call: <N extends CallName>(name: N, input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N>> => callRoute(http, name, input, requestOptions),
    /** Any streamed route by its router path. */
    stream: <N extends StreamName>(name: N, input: StreamInput<N>, requestOptions?: RequestOptions): AsyncIterable<StreamEvent<N>> => streamRoute(http, name, input, requestOptions),
  };
}

export type Client = ReturnType<typeof createClient>;

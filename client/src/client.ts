import { createResources } from './generated/resources.js';
import { createHttp, type ClientOptions, type RequestOptions } from './http.js';
import { operationWaits } from './operations.js';
import { callRoute, streamRoute, type CallName, type Input, type Output, type StreamEvent, type StreamInput, type StreamName } from './routes.js';

/**
 * A client whose calls read like the API reference: `ss.infra.ai.models.list()`,
 * `ss.infra.ai.responses.create({...})`. Canonical calls answer the native envelope
 * (`{ status: 'ok', data }`); `ss.v1.*` answers OpenAI shapes. The resource tree and every input
 * and answer type are generated from the service's router (client/src/generated/).
 */
export function createClient(options: ClientOptions) {
  const http = createHttp(options);
  const resources = createResources(http);
  const { ai } = resources.infra;

  return {
    ...resources,
    infra: {
      ...resources.infra,
      ai: { ...ai, operations: { ...ai.operations, ...operationWaits(ai.operations.get) } },
    },
    /** Any JSON route by its router path, for what the tree above does not name. */
    call: <N extends CallName>(name: N, input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N>> => callRoute(http, name, input, requestOptions),
    /** Any streamed route by its router path. */
    stream: <N extends StreamName>(name: N, input: StreamInput<N>, requestOptions?: RequestOptions): AsyncIterable<StreamEvent<N>> => streamRoute(http, name, input, requestOptions),
  };
}

export type Client = ReturnType<typeof createClient>;

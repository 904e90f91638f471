import type { BinaryAnswer } from './binary-answer.js';
import { TimeoutError } from './errors.js';
import { readEvents } from './events.js';
import type { CallRoutes, StreamRoutes } from './generated/routes.js';
import { routeTable } from './generated/routes.js';
import type { Http, RequestOptions } from './http.js';

/** Every JSON route by its router path, e.g. `infra.ai.models.list` or `v1.chat.completions.create`. */
export type CallName = keyof CallRoutes;
export type StreamName = keyof StreamRoutes;
export type Input<N extends CallName> = CallRoutes[N]['input'];
export type Output<N extends CallName> = CallRoutes[N]['output'];
/** A background operation, as `GET /infra/ai/operations/{id}` shows it. */
export type Operation = Output<'infra.ai.operations.get'>['data'];

/** An answer without the operation it may be: the primitive's own result (in its envelope on the native tree). */
export type Immediate<N extends CallName> = Output<N> extends { status: 'ok'; data: infer TData } ? { status: 'ok'; data: Exclude<TData, Operation> } : Exclude<Output<N>, Operation>;

/** A stream's input: its route's request without `stream`, which the client sets. */
export type StreamInput<N extends StreamName> = Omit<StreamRoutes[N]['input'], 'stream'>;
/** A stream's events; an error frame never reaches the loop (it ends it with a StreamError). */
export type StreamEvent<N extends StreamName> = Exclude<StreamRoutes[N]['event'], { error: { message: string } }>;

const isJson = (response: Response) => /^application\/([\w.+-]*\+)?json\b/i.test(response.headers.get('content-type') ?? '');

/**
 * A route that always answers bytes answers them whatever their type (a stored object may be
 * JSON); one that answers bytes when asked answers JSON when it did not.
 */
async function readAnswer(response: Response, binary: string | undefined): Promise<unknown> {
  if (response.status === 204) return undefined;
  try {
    if (binary === 'always' || (binary && !isJson(response))) {
      const answer: BinaryAnswer = { contentType: response.headers.get('content-type') ?? 'application/octet-stream', body: new Uint8Array(await response.arrayBuffer()) };
      return answer;
    }
    return await response.json();
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new TimeoutError('The answer did not arrive within the timeout');
    throw error;
  }
}

/** Calls any JSON route by its router path: the typed surfaces are built on this. */
export async function callRoute<N extends CallName>(http: Http, name: N, input: Input<N>, options?: RequestOptions): Promise<Output<N>> {
  const route = routeTable[name];
  const response = await http.send({ route, input: input as Record<string, unknown> }, options);
  return (await readAnswer(response, 'binary' in route ? route.binary : undefined)) as Output<N>;
}

/**
 * Sends a streamed route's request at once: resolves when its answer has begun (errors before
 * the first event, auth, validation, 429, reject it, retried like any call) to its events.
 */
export async function openStream<N extends StreamName>(http: Http, name: N, input: StreamInput<N>, options?: RequestOptions): Promise<AsyncIterable<StreamEvent<N>>> {
  const response = await http.send({ route: routeTable[name], input: input as Record<string, unknown>, stream: true }, options);
  const body = response.body;
  return {
    async *[Symbol.asyncIterator]() {
      if (body) yield* readEvents<StreamEvent<N>>(body, options?.signal);
    },
  };
}

/**
 * Streams any streamed route by its router path, as an async iterable of its events. The request
 * goes out when iteration starts; errors before the first event throw from the loop.
 */
export function streamRoute<N extends StreamName>(http: Http, name: N, input: StreamInput<N>, options?: RequestOptions): AsyncIterable<StreamEvent<N>> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* await openStream(http, name, input, options);
    },
  };
}

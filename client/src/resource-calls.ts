import type { Http, RequestOptions } from './http.js';
import { callRoute, openStream, streamRoute, type CallName, type Immediate, type Input, type Output, type StreamEvent, type StreamInput, type StreamName } from './routes.js';

/**
 * The shapes of the resource tree's methods. The generator picks the maker per route (an input
 * that may be left out, an id, a stream beside it); the types pick `async: true`'s overloads.
 */

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

/** A call of one route named by its id (its one path parameter, and all its input). */
export interface CallById<N extends CallName> {
  (id: string, requestOptions?: RequestOptions): Promise<Output<N>>;
}

/** One streamed route: its input in, its events out as they come (the request goes out when iteration starts). */
export interface Stream<N extends StreamName> {
  (input: StreamInput<N>, requestOptions?: RequestOptions): AsyncIterable<StreamEvent<N>>;
}

/** The events of a stream whose answer has arrived; iterate it once, or abort its request. */
export type EventStream<S extends StreamName> = AsyncIterable<StreamEvent<S>>;

/** What `stream: true` asks of a route with a stream beside it. */
type Streamed<S extends StreamName> = StreamInput<S> & { stream: true };
type NotStreamed<N extends CallName> = Input<N> & { stream?: false };

/**
 * A route whose answer may also come as server-sent events, as openai-node's `create`: with
 * `stream: true` it resolves to the events once the answer has begun (errors before the first
 * event reject it), without it to the JSON answer.
 */
export type CallOrStream<N extends CallName, S extends StreamName> = 'async' extends keyof Input<N> ? CallOrStreamMaybeInBackground<N, S> : CallNowOrStream<N, S>;

export interface CallNowOrStream<N extends CallName, S extends StreamName> {
  (input: Streamed<S>, requestOptions?: RequestOptions): Promise<EventStream<S>>;
  (input: NotStreamed<N>, requestOptions?: RequestOptions): Promise<Output<N>>;
  (input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N> | EventStream<S>>;
}

export interface CallOrStreamMaybeInBackground<N extends CallName, S extends StreamName> {
  (input: Streamed<S>, requestOptions?: RequestOptions): Promise<EventStream<S>>;
  (input: NotStreamed<N> & { async?: false }, requestOptions?: RequestOptions): Promise<Immediate<N>>;
  (input: NotStreamed<N>, requestOptions?: RequestOptions): Promise<Output<N>>;
  (input: Input<N>, requestOptions?: RequestOptions): Promise<Output<N> | EventStream<S>>;
}

/** The method makers the generated resource tree is written with. */
export function resourceCalls(http: Http) {
  return {
    call: <N extends CallName>(name: N) => ((input: Input<N>, requestOptions?: RequestOptions) => callRoute(http, name, input, requestOptions)) as Call<N>,
    optionalInput:
      <N extends CallName>(name: N): OptionalInputCall<N> =>
      (input = {} as Input<N>, requestOptions) =>
        callRoute(http, name, input, requestOptions),
    byId:
      <N extends CallName>(name: N, parameter: keyof Input<N> & string): CallById<N> =>
      (id, requestOptions) =>
        callRoute(http, name, { [parameter]: id } as Input<N>, requestOptions),
    stream:
      <N extends StreamName>(name: N): Stream<N> =>
      (input, requestOptions) =>
        streamRoute(http, name, input, requestOptions),
    callOrStream: <N extends CallName, S extends StreamName>(name: N, streamName: S) =>
      ((input: Input<N>, requestOptions?: RequestOptions) =>
        (input as { stream?: unknown }).stream === true
          ? openStream(http, streamName, input as unknown as StreamInput<S>, requestOptions)
          : callRoute(http, name, input, requestOptions)) as unknown as CallOrStream<N, S>,
  };
}

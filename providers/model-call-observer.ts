/**
 * How the registry lets something watch every call into every adapter (metrics, traces) without
 * knowing what: the server supplies an observer through the registry's options.
 */

/** One call into a model adapter: which provider and model, and which of its methods. */
export interface ModelCall {
  provider: string;
  model: string;
  /** The adapter method: `generate`, `stream`, `embed`, `rerank`, `synthesize`, ... */
  operation: string;
}

/** Started when an adapter method is called; ended once when its promise or stream settles. */
export interface ModelCallRecord {
  end(error?: unknown): void;
}

/** What watches model calls (metrics, traces); `start` runs in the caller's async context. */
export interface ModelCallObserver {
  start(call: ModelCall): ModelCallRecord;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value && !('then' in value);
}

/** Ends the record when the stream finishes, fails, or its consumer stops early. */
async function* observedStream<T>(stream: AsyncIterable<T>, record: ModelCallRecord): AsyncGenerator<T> {
  let failure: unknown;
  try {
    yield* stream;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    record.end(failure);
  }
}

function observeResult(result: unknown, record: ModelCallRecord): unknown {
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        record.end();
        return value;
      },
      (error: unknown) => {
        record.end(error);
        throw error;
      },
    );
  }
  if (isAsyncIterable(result)) return observedStream(result, record);
  record.end();
  return result;
}

/**
 * The same adapter, with every method call observed. Methods run on the adapter itself (its
 * private fields stay reachable); plain properties (`honours`) pass through untouched.
 */
export function observeAdapter<T extends object>(adapter: T, labels: Omit<ModelCall, 'operation'>, observer: ModelCallObserver): T {
  const methods = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(adapter, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property === 'symbol') return value;
      let observed = methods.get(property);
      if (!observed) {
        const call: ModelCall = { ...labels, operation: property };
        observed = (...args: unknown[]) => {
          const record = observer.start(call);
          let result: unknown;
          try {
            result = (value as (...args: unknown[]) => unknown).apply(target, args);
          } catch (error) {
            record.end(error);
            throw error;
          }
          return observeResult(result, record);
        };
        methods.set(property, observed);
      }
      return observed;
    },
  });
}

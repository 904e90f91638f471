import { OperationError, TimeoutError } from './errors.js';
import { sleep } from './http.js';
import type { CallById } from './resource-calls.js';
import type { Operation } from './routes.js';

/** An answer of a route that took `async: true`, without the operation it may be: the primitive's own result. */
export type Settled<TAnswer> = TAnswer extends { status: 'ok'; data: infer TData } ? Exclude<TData, Operation> : Exclude<TAnswer, Operation>;

export interface WaitOptions {
  signal?: AbortSignal;
  /** The first pause between polls; it doubles up to 2 s (default 250). */
  intervalMs?: number;
  /** Give up with a TimeoutError after this long; default: wait as long as it takes. */
  timeoutMs?: number;
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

function isOperation(value: unknown): value is Operation {
  return typeof value === 'object' && value !== null && (value as { object?: unknown }).object === 'ai.operation';
}

/** What the client adds to the operation routes: waiting for one to end, and the result of an answer that may be one. */
export function operationWaits(get: CallById<'infra.ai.operations.get'>) {
  /** Polls the operation until it has ended (succeeded, failed or cancelled) and answers it as it ended. */
  async function wait(operationId: string, options: WaitOptions = {}): Promise<Operation> {
    const signal = options.timeoutMs === undefined ? options.signal : AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
    let interval = options.intervalMs ?? 250;
    try {
      for (;;) {
        const { data: operation } = await get(operationId, signal ? { signal } : {});
        if (finished.has(operation.status)) return operation;
        await sleep(interval, signal);
        interval = Math.min(interval * 2, 2_000);
      }
    } catch (error) {
      if (signal?.aborted && !options.signal?.aborted) throw new TimeoutError(`Operation ${operationId} had not ended within ${options.timeoutMs} ms`);
      throw error;
    }
  }

  /**
   * The final result of an answer that may be an accepted operation (`async: true`): the answer's
   * data as is when the primitive ran at once, else the operation's result once it succeeded.
   * A failed or cancelled operation throws OperationError; a result written to
   * `result_destination` is read from storage, not here (use `wait`).
   */
  async function result<TAnswer>(answer: TAnswer, options: WaitOptions = {}): Promise<Settled<TAnswer>> {
    const enveloped = typeof answer === 'object' && answer !== null && (answer as { status?: unknown }).status === 'ok' && 'data' in answer;
    const data = enveloped ? (answer as { data: unknown }).data : answer;
    if (!isOperation(data)) return data as Settled<TAnswer>;
    const ended = await wait(data.id, options);
    if (ended.status !== 'succeeded') {
      const status = ended.status as 'failed' | 'cancelled';
      throw new OperationError(ended.id, status, ended.error?.code ?? status, ended.error?.message ?? `The operation ended ${status}`);
    }
    if (ended.result === null || ended.result === undefined) {
      throw new OperationError(ended.id, 'failed', 'result_elsewhere', `The operation wrote its result to ${ended.result_destination?.bucket_id}/${ended.result_destination?.key}`);
    }
    return ended.result as Settled<TAnswer>;
  }

  return { wait, result };
}

import { ProviderError } from '../../providers/spec/provider-error.ts';
import type { ModelCallObserver } from '../../providers/model-call-observer.ts';

export type { ModelCall, ModelCallObserver, ModelCallRecord } from '../../providers/model-call-observer.ts';

/** A short, bounded label for why a call failed. */
export function failureReason(error: unknown): string {
  if (error instanceof ProviderError) return error.kind;
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return 'cancelled';
  return 'error';
}

export function combineObservers(observers: ModelCallObserver[]): ModelCallObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return {
    start(call) {
      const records = observers.map((observer) => observer.start(call));
      return { end: (error) => records.forEach((record) => record.end(error)) };
    },
  };
}

/**
 * Turns callbacks (a native generation's onTextChunk) into an async iterable. Values pushed
 * before the consumer pulls are buffered; `fail` surfaces an error at the consumer's next pull.
 */
export interface AsyncChannel<T> extends AsyncIterable<T> {
  push(value: T): void;
  end(): void;
  fail(error: unknown): void;
}

export function createAsyncChannel<T>(): AsyncChannel<T> {
  const buffered: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  return {
    push(value) {
      if (finished) return;
      buffered.push(value);
      notify();
    },
    end() {
      finished = true;
      notify();
    },
    fail(error) {
      if (finished) return;
      failure = { error };
      finished = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        if (buffered.length > 0) {
          yield buffered.shift()!;
          continue;
        }
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

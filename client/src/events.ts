import { StreamError } from './errors.js';

/**
 * Server-sent events read off a response body as JSON events. Both framings the service uses:
 * named events (Responses API, ends when the body does) and data frames closed by `[DONE]`
 * (chat completions). An error frame ends the stream with a StreamError. Leaving the loop early
 * or aborting the request closes the connection, which stops the generation on the server.
 */
export async function* readEvents<TEvent>(body: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<TEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  let buffer = '';
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { value, done } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) !== -1) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const data = dataOf(frame);
        if (data === undefined) continue;
        if (data === '[DONE]') return;
        const event = JSON.parse(data) as TEvent;
        throwIfError(event);
        yield event;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.cancel().catch(() => undefined);
  }
}

/** The data lines of one frame joined; comments (`: keep-alive`) and frames without data give undefined. */
function dataOf(frame: string): string | undefined {
  const lines = frame.split('\n').filter((line) => line.startsWith('data:'));
  if (lines.length === 0) return undefined;
  return lines.map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)).join('\n');
}

/** `{type:'error', code, message}` (Responses API) or `{error:{message, code, type}}` (chat completions). */
function throwIfError(event: unknown): void {
  if (typeof event !== 'object' || event === null) return;
  const record = event as Record<string, unknown>;
  if (record.type === 'error') {
    throw new StreamError(String(record.code ?? 'error'), String(record.message ?? 'stream failed'), typeof record.param === 'string' ? record.param : null);
  }
  const error = record.error as Record<string, unknown> | undefined;
  if (!('type' in record) && typeof error === 'object' && error !== null) {
    throw new StreamError(String(error.code ?? error.type ?? 'error'), String(error.message ?? 'stream failed'), typeof error.param === 'string' ? error.param : null);
  }
}

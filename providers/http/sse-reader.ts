import { createParser } from 'eventsource-parser';
import { ProviderError } from '../spec/provider-error.ts';
import { toProviderError, type UpstreamBody } from './upstream-fetch.ts';

/** The `data` of each server-sent event of an upstream stream, in order, as chunks arrive. */
export async function* readSseData(
  body: UpstreamBody,
  upstream: { upstreamName: string; timeoutMs: number; signal?: AbortSignal | undefined },
): AsyncGenerator<string> {
  const pending: string[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event.data) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
    }
  } catch (error) {
    throw toProviderError(error, upstream.upstreamName, upstream.timeoutMs, upstream.signal);
  } finally {
    // Leaving early (client gone, [DONE] seen) releases the connection.
    body.destroy();
  }
}

/** Parses one JSON frame of an upstream stream; a malformed frame is the upstream's fault. */
export function parseJsonFrame(data: string, upstreamName: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw new ProviderError('bad_gateway', `${upstreamName} sent a malformed stream frame`, { cause: error });
  }
}

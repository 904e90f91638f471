import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { ProviderError } from '../spec/provider-error.ts';
import type { UpstreamConfig } from './upstream-config.ts';
import { exchangeJson, exchangeUpstreamJson, postUpstreamJson, type EncodedUpstreamRequest, type UpstreamRequest } from './upstream-fetch.ts';

/** An encoded body (a multipart form) and its content type. */
export interface EncodedBody {
  body: Buffer;
  contentType: string;
}

/** One endpoint of an upstream, resolved once: URL, headers, timeout and name. */
export class UpstreamEndpoint {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly upstreamName: string;

  constructor(config: UpstreamConfig, path: string) {
    this.url = config.url(path);
    this.headers = config.headers();
    this.timeoutMs = config.timeoutMs;
    this.upstreamName = config.name;
  }

  request(body: unknown, signal: AbortSignal | undefined): UpstreamRequest {
    return { url: this.url, headers: this.headers, body, signal, timeoutMs: this.timeoutMs, upstreamName: this.upstreamName };
  }

  encoded(encoded: EncodedBody, signal: AbortSignal | undefined): EncodedUpstreamRequest {
    return { url: this.url, headers: this.headers, body: encoded.body, contentType: encoded.contentType, signal, timeoutMs: this.timeoutMs, upstreamName: this.upstreamName };
  }

  /** POSTs JSON and reads the JSON answer as `schema`; anything else is the upstream's fault (`sent <what>`). */
  async exchange<T>(body: unknown, signal: AbortSignal | undefined, schema: z.ZodType<T>, what: string): Promise<T> {
    return this.parse(await exchangeJson(this.request(body, signal)), schema, what);
  }

  /** The same for an encoded body (a multipart form). */
  async exchangeEncoded<T>(encoded: EncodedBody, signal: AbortSignal | undefined, schema: z.ZodType<T>, what: string): Promise<T> {
    return this.parse(await exchangeUpstreamJson(this.encoded(encoded, signal)), schema, what);
  }

  /** POSTs JSON; the 2xx answer's body is left to read (audio, a stream). */
  post(body: unknown, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
    return postUpstreamJson(this.request(body, signal));
  }

  parse<T>(answer: unknown, schema: z.ZodType<T>, what: string): T {
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw new ProviderError('bad_gateway', `${this.upstreamName} sent ${what}`);
    return parsed.data;
  }
}

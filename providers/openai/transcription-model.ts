import { z } from 'zod';
import { request as httpRequest } from 'undici';
import { buildMultipartBody } from '../http/multipart-body.ts';
import type { OpenAiCompatibleUpstreamConfig } from '../../server/config.ts';
import { providerErrorFromResponse, readUpstreamJson, toProviderError } from '../http/upstream-fetch.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult } from '../spec/transcription.ts';

const responseSchema = z.object({
  text: z.string(),
  language: z.string().nullish(),
  duration: z.number().nullish(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).nullish(),
  usage: z.object({ seconds: z.number().nullish() }).nullish(),
});

/** `/audio/transcriptions` and `/audio/translations` (multipart), asked for verbose JSON to get segments and duration. */
export class OpenAiCompatibleTranscriptionModel implements TranscriptionModel {
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    const upstreamName = `Upstream "${upstream.name}"`;
    const multipart = buildMultipartBody(
      {
        model: upstreamModel,
        response_format: 'verbose_json',
        ...(request.prompt ? { prompt: request.prompt } : {}),
        ...(request.language && request.task === 'transcribe' ? { language: request.language } : {}),
        ...(request.temperature === undefined ? {} : { temperature: String(request.temperature) }),
      },
      { field: 'file', filename: request.filename, contentType: request.contentType ?? 'application/octet-stream', data: request.audio },
    );
    const path = request.task === 'translate' ? 'translations' : 'transcriptions';
    let response;
    try {
      response = await httpRequest(`${upstream.baseUrl.replace(/\/+$/, '')}/audio/${path}`, {
        method: 'POST',
        headers: { 'content-type': multipart.contentType, ...(upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {}) },
        body: multipart.body,
        signal: request.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      throw toProviderError(error, upstreamName, timeoutMs, request.signal);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw await providerErrorFromResponse(response, upstreamName);
    const parsed = responseSchema.safeParse(await readUpstreamJson(response, { upstreamName, timeoutMs, signal: request.signal }));
    if (!parsed.success) throw new ProviderError('bad_gateway', `${upstreamName} sent an unexpected transcription`);
    const body = parsed.data;
    return {
      text: body.text,
      language: body.language ?? null,
      durationSeconds: body.duration ?? body.usage?.seconds ?? null,
      segments: (body.segments ?? []).map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.trim() })),
    };
  }
}

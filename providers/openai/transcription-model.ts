import { z } from 'zod';
import { buildMultipartBody } from '../http/multipart-body.ts';
import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { postUpstream, readUpstreamJson } from '../http/upstream-fetch.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult } from '../spec/transcription.ts';

const responseSchema = z.object({
  text: z.string(),
  language: z.string().nullish(),
  duration: z.number().nullish(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).nullish(),
  usage: z.object({ seconds: z.number().nullish() }).nullish(),
  words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).nullish(),
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
        ...(request.wordTimestamps ? { 'timestamp_granularities[]': ['word', 'segment'] } : {}),
      },
      { field: 'file', filename: request.filename, contentType: request.contentType ?? 'application/octet-stream', data: request.audio },
    );
    const path = request.task === 'translate' ? 'translations' : 'transcriptions';
    const call = {
      ...upstreamEndpoint(upstream, `audio/${path}`),
      body: multipart.body,
      contentType: multipart.contentType,
      signal: request.signal,
      timeoutMs,
      upstreamName,
    };
    const response = await postUpstream(call);
    const parsed = responseSchema.safeParse(await readUpstreamJson(response, call));
    if (!parsed.success) throw new ProviderError('bad_gateway', `${upstreamName} sent an unexpected transcription`);
    const body = parsed.data;
    return {
      text: body.text,
      language: body.language ?? null,
      durationSeconds: body.duration ?? body.usage?.seconds ?? null,
      segments: (body.segments ?? []).map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.trim() })),
      ...(request.wordTimestamps ? { words: body.words ?? [] } : {}),
    };
  }
}

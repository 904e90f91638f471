import { z } from 'zod';
import { buildMultipartBody } from '../http/multipart-body.ts';
import { UpstreamModel } from '../http/upstream-model.ts';
import { postUpstream } from '../http/upstream-fetch.ts';
import { parseJsonFrame, readSseData } from '../http/sse-reader.ts';
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult, TranscriptStreamPart } from '../spec/transcription.ts';

const streamEventSchema = z.object({
  type: z.string(),
  delta: z.string().nullish(),
  text: z.string().nullish(),
  usage: z.object({ input_tokens: z.number().nullish(), output_tokens: z.number().nullish() }).nullish(),
});

const responseSchema = z.object({
  text: z.string(),
  language: z.string().nullish(),
  duration: z.number().nullish(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).nullish(),
  usage: z.object({ seconds: z.number().nullish() }).nullish(),
  words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).nullish(),
});

/** `/audio/transcriptions` and `/audio/translations` (multipart), asked for verbose JSON to get segments and duration. */
export class OpenAiCompatibleTranscriptionModel extends UpstreamModel implements TranscriptionModel {
  readonly #transcriptions = this.endpoint('audio/transcriptions');
  readonly #translations = this.endpoint('audio/translations');

  #endpointOf(request: TranscriptionRequest) {
    return request.task === 'translate' ? this.#translations : this.#transcriptions;
  }

  #form(request: TranscriptionRequest, fields: Record<string, string | string[]>) {
    return buildMultipartBody(
      {
        model: this.upstreamModel,
        ...fields,
        ...(request.prompt ? { prompt: request.prompt } : {}),
        ...(request.language && request.task === 'transcribe' ? { language: request.language } : {}),
        ...(request.temperature === undefined ? {} : { temperature: String(request.temperature) }),
      },
      { field: 'file', filename: request.filename, contentType: request.contentType ?? 'application/octet-stream', data: request.audio },
    );
  }

  /** OpenAI's streamed transcription (`stream=true`): `transcript.text.delta` events, then `.done`. */
  async *stream(request: TranscriptionRequest): AsyncGenerator<TranscriptStreamPart> {
    const call = this.#endpointOf(request).encoded(this.#form(request, { response_format: 'json', stream: 'true' }), request.signal);
    const response = await postUpstream(call);
    for await (const data of readSseData(response.body, call)) {
      if (data === '[DONE]') break;
      const event = streamEventSchema.safeParse(parseJsonFrame(data, call.upstreamName));
      if (!event.success) continue;
      if (event.data.type === 'transcript.text.delta' && event.data.delta) yield { type: 'delta', text: event.data.delta };
      if (event.data.type === 'transcript.text.done') {
        yield { type: 'done', text: event.data.text ?? '', inputTokens: event.data.usage?.input_tokens ?? undefined, outputTokens: event.data.usage?.output_tokens ?? undefined };
      }
    }
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const form = this.#form(request, {
      response_format: 'verbose_json',
      ...(request.wordTimestamps ? { 'timestamp_granularities[]': ['word', 'segment'] } : {}),
    });
    const body = await this.#endpointOf(request).exchangeEncoded(form, request.signal, responseSchema, 'an unexpected transcription');
    return {
      text: body.text,
      language: body.language ?? null,
      durationSeconds: body.duration ?? body.usage?.seconds ?? null,
      segments: (body.segments ?? []).map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.trim() })),
      ...(request.wordTimestamps ? { words: body.words ?? [] } : {}),
    };
  }
}

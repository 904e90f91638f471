import { z } from 'zod';
import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { exchangeJson } from '../http/upstream-fetch.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult } from '../spec/transcription.ts';

const resultSchema = z.object({
  result: z.object({
    text: z.string(),
    segments: z
      .array(z.object({ start: z.number(), end: z.number(), text: z.string(), words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).nullish() }))
      .nullish(),
    words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).nullish(),
    transcription_info: z.object({ language: z.string().nullish(), duration: z.number().nullish() }).nullish(),
  }),
});

/** `@cf/openai/whisper-large-v3-turbo`: base64 audio, `task` transcribe or translate; only `text` is guaranteed. */
export class WorkersAiWhisperModel implements TranscriptionModel {
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    const call = {
      ...workersAiRunEndpoint(config, upstreamModel),
      body: {
        audio: Buffer.from(request.audio).toString('base64'),
        task: request.task,
        ...(request.language ? { language: request.language } : {}),
        ...(request.prompt ? { initial_prompt: request.prompt } : {}),
      },
      signal: request.signal,
      timeoutMs,
      upstreamName: 'Workers AI',
    };
    const parsed = resultSchema.safeParse(await exchangeJson(call));
    if (!parsed.success) throw new ProviderError('bad_gateway', 'Workers AI sent an unexpected transcription');
    const { text, segments, words, transcription_info: info } = parsed.data.result;
    return {
      text: text.trim(),
      language: info?.language ?? null,
      durationSeconds: info?.duration ?? null,
      segments: (segments ?? []).map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.trim() })),
      // Whisper on Workers AI gives word times, at the top or inside each segment.
      ...(request.wordTimestamps ? { words: (words ?? (segments ?? []).flatMap((segment) => segment.words ?? [])).map((word) => ({ ...word, word: word.word.trim() })) } : {}),
    };
  }
}

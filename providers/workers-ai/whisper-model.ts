import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult } from '../spec/transcription.ts';

const wordSchema = z.object({ word: z.string(), start: z.number(), end: z.number() });
const resultSchema = z.object({
  result: z.object({
    text: z.string(),
    segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string(), words: z.array(wordSchema).nullish() })).nullish(),
    words: z.array(wordSchema).nullish(),
    transcription_info: z.object({ language: z.string().nullish(), duration: z.number().nullish() }).nullish(),
  }),
});

/** `@cf/openai/whisper-large-v3-turbo`: base64 audio, `task` transcribe or translate; only `text` is guaranteed. */
export class WorkersAiWhisperModel extends UpstreamModel implements TranscriptionModel {
  readonly #run = this.endpoint(this.upstreamModel);

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const body = {
      audio: Buffer.from(request.audio).toString('base64'),
      task: request.task,
      ...(request.language ? { language: request.language } : {}),
      ...(request.prompt ? { initial_prompt: request.prompt } : {}),
    };
    const { result } = await this.#run.exchange(body, request.signal, resultSchema, 'an unexpected transcription');
    const { text, segments, words, transcription_info: info } = result;
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

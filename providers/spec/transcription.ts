import type { ModelSpec } from './model-spec.ts';

/** The provider-side contract for speech recognition (transcription, and translation to English). */
export interface TranscriptionRequest {
  audio: Uint8Array;
  contentType: string | undefined;
  filename: string;
  task: 'transcribe' | 'translate';
  language?: string | undefined;
  prompt?: string | undefined;
  temperature?: number | undefined;
  /** Ask for the time of each word, where the provider gives it. */
  wordTimestamps?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
}

export interface TranscriptionResult {
  text: string;
  language: string | null;
  durationSeconds: number | null;
  segments: TranscriptSegment[];
  /** Present when asked for and the provider gives them. */
  words?: TranscriptWord[] | undefined;
}

/** A streamed transcript: text as it is recognised, then the whole of it. */
export type TranscriptStreamPart = { type: 'delta'; text: string } | { type: 'done'; text: string; inputTokens: number | undefined; outputTokens: number | undefined };

export interface TranscriptionModel extends ModelSpec {
  transcribe(request: TranscriptionRequest): Promise<TranscriptionResult>;
  /** Present where the provider streams transcripts. */
  stream?(request: TranscriptionRequest): AsyncIterable<TranscriptStreamPart>;
}

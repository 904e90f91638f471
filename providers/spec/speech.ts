import type { CallScope } from './call-scope.ts';

/** The provider-side contract for speech synthesis. */
export type AudioFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

export interface SpeechRequest extends CallScope {
  text: string;
  voice: string | undefined;
  format: AudioFormat;
  /** 0.25–4.0, 1 is normal. */
  speed: number;
  instructions?: string | undefined;
}

export interface SpeechResult {
  audio: Uint8Array;
  format: AudioFormat;
  contentType: string;
  durationSeconds: number | null;
}

export interface SpeechModel {
  /** Formats this model can produce; others are a 400. */
  readonly formats: readonly AudioFormat[];
  synthesize(request: SpeechRequest): Promise<SpeechResult>;
}

export const contentTypeOfAudio: Record<AudioFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

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

export interface SpeechModel extends ModelSpec {
  /** Formats this model can produce; others are a 400. */
  readonly formats: readonly AudioFormat[];
  synthesize(request: SpeechRequest): Promise<SpeechResult>;
}

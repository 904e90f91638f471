import { UpstreamModel } from '../http/upstream-model.ts';
import { readUpstreamBody } from '../http/upstream-fetch.ts';
import { contentTypeOfAudio } from '../common/audio-content-types.ts';
import type { SpeechModel, SpeechRequest, SpeechResult } from '../spec/speech.ts';

/** `/audio/speech` of OpenAI (or compatible): JSON in, audio bytes out. */
export class OpenAiCompatibleSpeechModel extends UpstreamModel implements SpeechModel {
  readonly formats = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
  readonly #speech = this.endpoint('audio/speech');

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const body = {
      model: this.upstreamModel,
      input: request.text,
      voice: request.voice ?? 'alloy',
      response_format: request.format,
      speed: request.speed,
      ...(request.instructions ? { instructions: request.instructions } : {}),
    };
    const response = await this.#speech.post(body, request.signal);
    const audio = await readUpstreamBody(response, this.#speech, request.signal);
    return { audio, format: request.format, contentType: contentTypeOfAudio[request.format], durationSeconds: null };
  }
}

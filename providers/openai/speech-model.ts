import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { postUpstreamJson, toProviderError, type UpstreamRequest } from '../http/upstream-fetch.ts';
import { contentTypeOfAudio, type SpeechModel, type SpeechRequest, type SpeechResult } from '../spec/speech.ts';

/** `/audio/speech` of OpenAI (or compatible): JSON in, audio bytes out. */
export class OpenAiCompatibleSpeechModel implements SpeechModel {
  readonly formats = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    const call: UpstreamRequest = {
      ...upstreamEndpoint(upstream, `audio/speech`),
      body: {
        model: upstreamModel,
        input: request.text,
        voice: request.voice ?? 'alloy',
        response_format: request.format,
        speed: request.speed,
        ...(request.instructions ? { instructions: request.instructions } : {}),
      },
      signal: request.signal,
      timeoutMs,
      upstreamName: `Upstream "${upstream.name}"`,
    };
    const response = await postUpstreamJson(call);
    let audio: Uint8Array;
    try {
      audio = new Uint8Array(await response.body.arrayBuffer());
    } catch (error) {
      throw toProviderError(error, call.upstreamName, timeoutMs, request.signal);
    }
    return { audio, format: request.format, contentType: contentTypeOfAudio[request.format], durationSeconds: null };
  }
}

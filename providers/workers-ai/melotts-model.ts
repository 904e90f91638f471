import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { postUpstreamJson, toProviderError } from '../http/upstream-fetch.ts';
import { ProviderError } from '../spec/provider-error.ts';
import { contentTypeOfAudio, type SpeechModel, type SpeechRequest, type SpeechResult } from '../spec/speech.ts';

/** `@cf/myshell-ai/melotts`: `{prompt, lang}` → base64 MP3 in the envelope, or raw audio/mpeg. */
export class WorkersAiMeloTtsModel implements SpeechModel {
  readonly formats = ['mp3'] as const;
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    if (request.format !== 'mp3') throw new ProviderError('invalid_request', `response_format: ${upstreamModel} produces mp3`, { param: 'response_format' });
    const call = {
      ...workersAiRunEndpoint(config, upstreamModel),
      body: { prompt: request.text, lang: 'en' },
      signal: request.signal,
      timeoutMs,
      upstreamName: 'Workers AI',
    };
    const response = await postUpstreamJson(call);
    let audio: Uint8Array;
    try {
      const bytes = Buffer.from(await response.body.arrayBuffer());
      if (String(response.headers['content-type'] ?? '').includes('application/json')) {
        const body = JSON.parse(bytes.toString('utf8')) as { result?: { audio?: unknown } };
        if (typeof body.result?.audio !== 'string') throw new ProviderError('bad_gateway', 'Workers AI sent no audio');
        audio = Buffer.from(body.result.audio, 'base64');
      } else audio = bytes;
    } catch (error) {
      throw toProviderError(error, call.upstreamName, timeoutMs, request.signal);
    }
    return { audio, format: 'mp3', contentType: contentTypeOfAudio.mp3, durationSeconds: null };
  }
}

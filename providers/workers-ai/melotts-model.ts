import { UpstreamModel } from '../http/upstream-model.ts';
import { readUpstreamBody } from '../http/upstream-fetch.ts';
import { contentTypeOfAudio } from '../common/audio-content-types.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { SpeechModel, SpeechRequest, SpeechResult } from '../spec/speech.ts';

/** The audio of an answer: base64 MP3 in the JSON envelope, or the raw audio/mpeg bytes. */
function audioOf(bytes: Buffer, contentType: string, upstreamName: string): Buffer {
  if (!contentType.includes('application/json')) return bytes;
  let audio: unknown;
  try {
    audio = (JSON.parse(bytes.toString('utf8')) as { result?: { audio?: unknown } }).result?.audio;
  } catch (error) {
    throw new ProviderError('bad_gateway', `${upstreamName} sent a body that is not JSON`, { cause: error });
  }
  if (typeof audio !== 'string') throw new ProviderError('bad_gateway', `${upstreamName} sent no audio`);
  return Buffer.from(audio, 'base64');
}

/** `@cf/myshell-ai/melotts`: `{prompt, lang}` → MP3. */
export class WorkersAiMeloTtsModel extends UpstreamModel implements SpeechModel {
  readonly formats = ['mp3'] as const;
  readonly #run = this.endpoint(this.upstreamModel);

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    if (request.format !== 'mp3') throw new ProviderError('invalid_request', `response_format: ${this.upstreamModel} produces mp3`, { param: 'response_format' });
    const response = await this.#run.post({ prompt: request.text, lang: 'en' }, request.signal);
    const bytes = await readUpstreamBody(response, this.#run, request.signal);
    const audio = audioOf(bytes, String(response.headers['content-type'] ?? ''), this.config.name);
    return { audio, format: 'mp3', contentType: contentTypeOfAudio.mp3, durationSeconds: null };
  }
}

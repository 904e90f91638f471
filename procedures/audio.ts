import { runCharged } from '../accounts/billing.ts';
import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineTwinMutations, modelCallErrors } from '../router/primitive.ts';
import { scopeOf, type CallContext } from '../router/context.ts';
import type { AudioFormat } from '../providers/spec/speech.ts';
import {
  openAiSpeechRequestSchema,
  speechRequestSchema,
  speechResultSchema,
  type OpenAiSpeechRequestInput,
  type SpeechRequestInput,
  type SpeechResultWire,
} from '../schema/api/audio.ts';
import { resolveModelFor } from './models.ts';
import { openAiRecognitionRouter, recognitionRouter } from './transcriptions.ts';

interface SpeechArgs {
  model: string | undefined;
  text: string;
  voice: string | undefined;
  format: AudioFormat;
  speed: number;
  instructions: string | undefined;
}

async function synthesize(args: SpeechArgs, ctx: CallContext): Promise<SpeechResultWire> {
  const entry = resolveModelFor(ctx.services.catalog, 'speech', args.model, undefined);
  const model = ctx.services.providers.resolve('speech', entry.id);
  if (!(model.formats as readonly string[]).includes(args.format)) {
    throw new ApiError('bad_request', `response_format: ${entry.id} produces ${model.formats.join(', ')}`, { param: 'response_format' });
  }
  const characters = args.text.length;
  const units = { input: entry.pricing.unit === 'character' ? characters : entry.pricing.unit === 'token' ? Buffer.byteLength(args.text) : 1, output: 0 };
  const result = await runCharged(
    ctx,
    { primitive: 'audio.speech', model: entry, upperBound: units, rateEstimate: Math.ceil(characters / 4) },
    () => model.synthesize({ text: args.text, voice: args.voice, format: args.format, speed: args.speed, instructions: args.instructions, ...scopeOf(ctx) }),
    () => units,
  );
  return {
    object: 'audio.speech',
    model: entry.id,
    format: result.format,
    content_type: result.contentType,
    duration_seconds: result.durationSeconds === null ? null : Math.round(result.durationSeconds * 1000) / 1000,
    bytes: result.audio.byteLength,
    audio: Buffer.from(result.audio).toString('base64'),
  };
}

const output = speechResultSchema;

/** The audio itself as the answer, in its own content type. */
const audioBytes = {
  body: (speech: SpeechResultWire) => ({ bytes: Buffer.from(speech.audio, 'base64'), contentType: speech.content_type }),
  contentTypes: ['audio/mpeg', 'audio/wav', 'audio/pcm', 'audio/ogg', 'audio/aac', 'audio/flac'],
};

const create = defineTwinMutations({
  scope: 'ai:generate',
  tag: 'Audio',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  async: { kind: 'audio.speech' },
  // A stored result is the audio itself, with its content type.
  storable: (result) => {
    const speech = result as SpeechResultWire;
    return { bytes: Buffer.from(speech.audio, 'base64'), contentType: speech.content_type };
  },
  run: synthesize,
  canonical: {
    path: '/infra/ai/audio/speech',
    summary: 'Generate speech',
    description:
      'Speech from text. response_format json (default) answers the audio inline as base64 with its format and duration; ' +
      'binary answers the audio bytes. audio_format picks the encoding. Offline: local:espeak-ng (mp3, wav, pcm).',
    input: speechRequestSchema,
    toArgs: (input: SpeechRequestInput): SpeechArgs => ({
      model: input.model,
      text: input.input,
      voice: input.voice,
      format: input.audio_format,
      speed: input.speed,
      instructions: input.instructions,
    }),
    output,
    toOutput: (result) => result,
    rawAnswer: { ...audioBytes, when: (request) => request.response_format === 'binary' },
  },
  compat: {
    path: '/v1/audio/speech',
    summary: 'Generate speech (OpenAI-compatible)',
    description: 'OpenAI audio.speech: the answer is the audio bytes in response_format (mp3 by default).',
    input: openAiSpeechRequestSchema,
    toArgs: (input: OpenAiSpeechRequestInput): SpeechArgs => ({
      model: input.model,
      text: input.input,
      voice: input.voice,
      format: input.response_format,
      speed: input.speed,
      instructions: input.instructions,
    }),
    output,
    toOutput: (result) => result,
    // OpenAI clients expect the audio itself.
    rawAnswer: audioBytes,
  },
});

export const audioRouter = router({ speech: router({ create: create.canonical }), ...recognitionRouter._def.record });
export const openAiAudioRouter = router({ speech: router({ create: create.compat }), ...openAiRecognitionRouter._def.record });

import { z } from 'zod';
import { firstPart, openCharge, runCharged, whenRecorded } from '../accounts/billing.ts';
import { ApiError } from '../router/errors.ts';
import { defineStream } from '../router/streams.ts';
import type { ModelEntry } from '../schema/api/models.ts';
import { router } from '../router/trpc.ts';
import { defineTwinMutations, modelCallErrors } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import type { UploadedFile } from '../router/transport.ts';
import { transcriptionRequestSchema, transcriptSchema, type TranscriptionRequestInput, type TranscriptWire } from '../schema/api/transcriptions.ts';
import { resolveModelFor } from './models.ts';
import { toSrt, toVtt } from './audio/transcript-formats.ts';

/** An upper bound on audio length from its size: no common codec goes below ~4 kbit/s of speech. */
const maxSecondsPerByte = 1 / 500;

async function loadAudio(request: TranscriptionRequestInput, ctx: CallContext) {
  if (request.base64) return { bytes: Buffer.from(request.base64, 'base64'), contentType: request.content_type, filename: request.name ?? 'audio' };
  const { object, bytes } = await ctx.services.storage.getObject(ctx.principal.projectId, request.storage_ref!, 'storage_ref.key');
  return { bytes, contentType: object.content_type, filename: request.name ?? object.key.split('/').at(-1) ?? 'audio' };
}

/** What a transcript costs: seconds of audio, or one call, as the model is priced. */
function unitsFor(entry: ModelEntry) {
  return (seconds: number) => ({ input: entry.pricing.unit === 'audio_second' ? Math.ceil(seconds) : 1, output: 0 });
}

function recognize(task: 'transcribe' | 'translate') {
  return async (request: TranscriptionRequestInput, ctx: CallContext): Promise<TranscriptWire> => {
    if (request.stream) {
      throw new ApiError('bad_request', 'stream: streamed transcripts are server-sent events on POST /v1/audio/transcriptions (multipart)', { param: 'stream' });
    }
    const capability = task === 'transcribe' ? 'transcription' : 'translation';
    const entry = resolveModelFor(ctx.services.catalog, capability, request.model, undefined);
    const audio = await loadAudio(request, ctx);
    const boundSeconds = Math.ceil(audio.bytes.length * maxSecondsPerByte) + 1;
    const units = unitsFor(entry);
    const result = await runCharged(
      ctx,
      { primitive: `audio.${capability}s`, model: entry, upperBound: units(boundSeconds), rateEstimate: 0 },
      () =>
        ctx.services.providers.resolve(capability, entry.id).transcribe({
          audio: audio.bytes,
          contentType: audio.contentType,
          filename: audio.filename,
          task,
          language: request.language,
          prompt: request.prompt,
          temperature: request.temperature,
          wordTimestamps: request.timestamp_granularities?.includes('word'),
          signal: ctx.signal,
        }),
      (transcribed) => units(transcribed.durationSeconds ?? boundSeconds),
    );
    const format = request.response_format;
    const formatted =
      format === 'srt'
        ? toSrt(result.text, result.segments, result.durationSeconds)
        : format === 'vtt'
          ? toVtt(result.text, result.segments, result.durationSeconds)
          : format === 'text'
            ? result.text
            : null;
    return {
      object: task === 'transcribe' ? 'audio.transcription' : 'audio.translation',
      model: entry.id,
      text: result.text,
      language: result.language,
      duration_seconds: result.durationSeconds,
      segments: result.segments.map((segment, id) => ({ id, ...segment })),
      ...(result.words ? { words: result.words } : {}),
      response_format: format,
      formatted,
    };
  };
}

/** OpenAI's JSON shapes of a transcript; text, SRT and WebVTT are answered as plain text (see `plainText`). */
export function toOpenAiTranscript(transcript: TranscriptWire, task: 'transcribe' | 'translate') {
  if (transcript.response_format === 'verbose_json') {
    return {
      task: task === 'transcribe' ? 'transcribe' : 'translate',
      language: transcript.language ?? 'english',
      duration: transcript.duration_seconds ?? 0,
      text: transcript.text,
      segments: transcript.segments.map((segment) => ({
        id: segment.id,
        seek: 0,
        start: segment.start,
        end: segment.end,
        text: segment.text,
        tokens: [],
        temperature: 0,
        avg_logprob: 0,
        compression_ratio: 0,
        no_speech_prob: 0,
      })),
      ...(transcript.words ? { words: transcript.words } : {}),
    };
  }
  return {
    text: transcript.formatted ?? transcript.text,
    ...(transcript.duration_seconds === null ? {} : { usage: { type: 'duration' as const, seconds: Math.ceil(transcript.duration_seconds) } }),
  };
}

/** Verbose first: zod keeps the first member that parses, and the plain shape would strip the rest. */
const openAiTranscriptSchema = z.union([
  z.object({
    task: z.string(),
    language: z.string(),
    duration: z.number(),
    text: z.string(),
    segments: z.array(z.record(z.string(), z.unknown())),
    words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).optional(),
  }),
  z.object({ text: z.string(), usage: z.object({ type: z.literal('duration'), seconds: z.int() }).optional() }),
]);

/** OpenAI answers words only in verbose_json: asked for with another format, they would be lost. */
function wordsOnlyVerbose(input: TranscriptionRequestInput): TranscriptionRequestInput {
  if (input.timestamp_granularities?.includes('word') && input.response_format !== 'verbose_json') {
    throw new ApiError('bad_request', 'timestamp_granularities: word timestamps come only with response_format verbose_json', {
      param: 'timestamp_granularities',
    });
  }
  return input;
}

/** How OpenAI clients send audio, and how the native tree accepts it too. */
const audioUpload = {
  files: { file: { required: true, into: (file: UploadedFile) => ({ base64: file.data.toString('base64'), content_type: file.contentType, name: file.filename }) } },
};

const plainTextFormats = new Set(['text', 'srt', 'vtt']);

/** OpenAI answers text, SRT and WebVTT transcripts as plain text, not JSON. */
const plainText = {
  when: (request: Record<string, unknown>) => plainTextFormats.has(String(request.response_format)),
  body: (transcript: { text?: string }) => ({ bytes: transcript.text ?? '', contentType: 'text/plain; charset=utf-8' }),
  contentTypes: ['text/plain'],
};

function defineRecognition(task: 'transcribe' | 'translate') {
  const noun = task === 'transcribe' ? 'transcriptions' : 'translations';
  return defineTwinMutations({
    scope: 'ai:generate',
    tag: 'Audio',
    errorStatuses: modelCallErrors,
    async: { kind: `audio.${noun}` },
    run: recognize(task),
    canonical: {
      path: `/infra/ai/audio/${noun}`,
      summary: task === 'transcribe' ? 'Transcribe audio' : 'Translate audio to English',
      description:
        'Audio from base64, a storage_ref, or a multipart "file" upload. Runs on an upstream (OpenAI whisper, Workers AI whisper): ' +
        'no speech-recognition weights ship offline, so without one no model has this capability.',
      input: transcriptionRequestSchema,
      toArgs: (input) => input,
      output: transcriptSchema,
      toOutput: (transcript) => transcript,
      multipart: audioUpload,
    },
    compat: {
      path: `/v1/audio/${noun}`,
      summary: task === 'transcribe' ? 'Create transcription (OpenAI-compatible)' : 'Create translation (OpenAI-compatible)',
      description: 'OpenAI multipart upload (file, model, prompt, language, response_format json|text|srt|verbose_json|vtt, temperature).',
      input: transcriptionRequestSchema,
      toArgs: wordsOnlyVerbose,
      output: openAiTranscriptSchema,
      toOutput: (transcript) => toOpenAiTranscript(transcript, task),
      multipart: audioUpload,
      rawAnswer: plainText,
    },
  });
}

const transcriptions = defineRecognition('transcribe');
const translations = defineRecognition('translate');

/**
 * `stream: true` on the OpenAI route: the model's transcript as it is recognised, in OpenAI's
 * events (`transcript.text.delta`, then `transcript.text.done`), where the model streams.
 */
async function streamTranscript(request: TranscriptionRequestInput, ctx: CallContext) {
  const entry = resolveModelFor(ctx.services.catalog, 'transcription', request.model, undefined);
  const model = ctx.services.providers.resolve('transcription', entry.id);
  if (!model.stream) throw new ApiError('bad_request', `stream: ${entry.id} does not stream transcripts`, { param: 'stream' });
  const audio = await loadAudio(request, ctx);
  const boundSeconds = Math.ceil(audio.bytes.length * maxSecondsPerByte) + 1;
  const charge = await openCharge(ctx, { primitive: 'audio.transcriptions', model: entry, upperBound: unitsFor(entry)(boundSeconds), rateEstimate: 0 });
  const parts = model.stream({
    audio: audio.bytes,
    contentType: audio.contentType,
    filename: audio.filename,
    task: 'transcribe',
    language: request.language,
    prompt: request.prompt,
    temperature: request.temperature,
    signal: ctx.signal,
  })[Symbol.asyncIterator]();
  const first = await firstPart(parts, charge);
  return (async function* () {
    let settled = false;
    try {
      for (let current = first; !current.done; current = await parts.next()) {
        const part = current.value;
        if (part.type === 'delta') {
          yield { type: 'transcript.text.delta' as const, delta: part.text };
          continue;
        }
        settled = true;
        await whenRecorded(charge.settle(unitsFor(entry)(boundSeconds), 'succeeded'));
        const usage = part.inputTokens === undefined ? {} : { usage: { type: 'tokens', input_tokens: part.inputTokens, output_tokens: part.outputTokens ?? 0, total_tokens: part.inputTokens + (part.outputTokens ?? 0) } };
        yield { type: 'transcript.text.done' as const, text: part.text, ...usage };
      }
    } finally {
      if (!settled) void charge.settle({ input: 0, output: 0 }, ctx.signal.aborted ? 'disconnected' : 'failed');
      await parts.return?.();
    }
  })();
}

const transcriptStream = defineStream({
  scope: 'ai:generate',
  path: '/v1/audio/transcriptions',
  framing: 'named-events',
  input: transcriptionRequestSchema,
  multipart: audioUpload,
  run: streamTranscript,
});

export const recognitionRouter = router({ transcriptions: router({ create: transcriptions.canonical }), translations: router({ create: translations.canonical }) });
export const openAiRecognitionRouter = router({ transcriptions: router({ create: transcriptions.compat, stream: transcriptStream }), translations: router({ create: translations.compat }) });

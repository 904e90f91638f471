import { z } from 'zod';
import { runCharged } from '../router/billing.ts';
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

function recognize(task: 'transcribe' | 'translate') {
  return async (request: TranscriptionRequestInput, ctx: CallContext): Promise<TranscriptWire> => {
    const capability = task === 'transcribe' ? 'transcription' : 'translation';
    const entry = resolveModelFor(ctx.services.catalog, capability, request.model, undefined);
    const audio = await loadAudio(request, ctx);
    const boundSeconds = Math.ceil(audio.bytes.length * maxSecondsPerByte) + 1;
    const units = (seconds: number) => ({ input: entry.pricing.unit === 'audio_second' ? Math.ceil(seconds) : 1, output: 0 });
    const result = await runCharged(
      ctx,
      { primitive: `audio.${capability}s`, model: entry, upperBound: units(boundSeconds), rateEstimate: 0 },
      () =>
        ctx.services.providers.transcriptionModel(entry).transcribe({
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
      toArgs: (input) => input,
      output: openAiTranscriptSchema,
      toOutput: (transcript) => toOpenAiTranscript(transcript, task),
      multipart: audioUpload,
      rawAnswer: plainText,
    },
  });
}

const transcriptions = defineRecognition('transcribe');
const translations = defineRecognition('translate');

export const recognitionRouter = router({ transcriptions: router({ create: transcriptions.canonical }), translations: router({ create: translations.canonical }) });
export const openAiRecognitionRouter = router({ transcriptions: router({ create: transcriptions.compat }), translations: router({ create: translations.compat }) });

import { z } from 'zod';
import { asyncFields, storageRefSchema } from './common.ts';
import { silentWav } from './example-files.ts';

export const transcriptFormatSchema = z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']);

/** Audio in by base64 or storage reference (multipart uploads are turned into base64 by the server). */
export const transcriptionRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'A transcription model id; the first configured one when omitted' }),
    prompt: z.string().max(4000).optional(),
    language: z.string().min(2).max(16).optional().meta({ description: 'ISO-639-1 language of the audio (transcriptions)' }),
    temperature: z.number().min(0).max(1).optional(),
    storage_ref: storageRefSchema.optional(),
    base64: z.string().min(1).regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64').optional(),
    content_type: z.string().max(255).optional(),
    name: z.string().max(255).optional().meta({ description: 'File name, e.g. meeting.mp3' }),
    response_format: transcriptFormatSchema.default('json'),
    stream: z.boolean().optional().meta({ description: 'Server-sent transcript.text.delta events, where the model streams (OpenAI multipart route)' }),
    timestamp_granularities: z
      .array(z.enum(['word', 'segment']))
      .optional()
      .meta({ description: 'word: the time of each word too (verbose_json), where the provider gives it' }),
    ...asyncFields,
  })
  .superRefine((request, ctx) => {
    if ((request.base64 === undefined) === (request.storage_ref === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['base64'], message: 'Provide base64 or storage_ref (exactly one), or upload a multipart "file"' });
    }
  })
  .meta({ id: 'TranscriptionRequest', examples: [{ base64: silentWav, name: 'silence.wav', content_type: 'audio/wav' }] });
export type TranscriptionRequestInput = z.output<typeof transcriptionRequestSchema>;

export const transcriptSchema = z
  .object({
    object: z.enum(['audio.transcription', 'audio.translation']),
    model: z.string(),
    text: z.string(),
    language: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    segments: z.array(z.object({ id: z.int(), start: z.number(), end: z.number(), text: z.string() })),
    words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).optional(),
    response_format: transcriptFormatSchema,
    formatted: z.string().nullable().meta({ description: 'The transcript as text, SRT or WebVTT when response_format asks for one' }),
  })
  .meta({ id: 'Transcript' });
export type TranscriptWire = z.infer<typeof transcriptSchema>;

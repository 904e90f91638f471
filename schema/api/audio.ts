import { z } from 'zod';
import { asyncFields } from './common.ts';

export const audioFormatSchema = z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);

const speechFields = {
  model: z.string().min(1).optional().meta({ description: 'A speech model id; the offline local:espeak-ng when omitted' }),
  input: z.string().min(1).max(4096),
  voice: z.string().min(1).max(64).optional().meta({ description: 'alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse' }),
  speed: z.number().min(0.25).max(4).default(1),
  instructions: z.string().max(4096).optional(),
  ...asyncFields,
};

/** Native: the audio comes back inline as base64 JSON (default) or as raw bytes. */
export const speechRequestSchema = z
  .strictObject({
    ...speechFields,
    response_format: z.enum(['json', 'binary']).default('json'),
    audio_format: audioFormatSchema.default('mp3'),
  })
  .meta({ id: 'CreateSpeechRequest', examples: [{ input: 'Hello, and welcome.', audio_format: 'wav' }] });
export type SpeechRequestInput = z.output<typeof speechRequestSchema>;

/** OpenAI: `response_format` is the audio encoding and the answer is the audio itself. */
export const openAiSpeechRequestSchema = z
  .strictObject({
    ...speechFields,
    response_format: audioFormatSchema.default('mp3'),
    stream_format: z.literal('audio', { error: 'Only audio: the answer is the audio bytes, not server-sent events' }).optional(),
  })
  .meta({ id: 'CreateSpeechRequestOpenAI', examples: [{ model: 'local:espeak-ng', input: 'Hello, and welcome.', voice: 'alloy', response_format: 'wav' }] });
export type OpenAiSpeechRequestInput = z.output<typeof openAiSpeechRequestSchema>;

export const speechResultSchema = z
  .object({
    object: z.literal('audio.speech'),
    model: z.string(),
    format: audioFormatSchema,
    content_type: z.string(),
    duration_seconds: z.number().nullable(),
    bytes: z.int(),
    audio: z.string().meta({ description: 'The audio, base64-encoded' }),
  })
  .meta({ id: 'Speech' });
export type SpeechResultWire = z.infer<typeof speechResultSchema>;

import { z } from 'zod';
import { asyncFields } from './common.ts';
import {
  maxOutputTokensSchema,
  messageSchema,
  responseFormatSchema,
  temperatureSchema,
} from './text-generation.ts';

/** The request of `/infra/ai/responses` and `/v1/responses` (OpenAI Responses API fields plus ours). */
export const responsesRequestSchema = z
  .object({
    model: z.string().min(1).optional().meta({ description: 'provider:model id; the configured default text model when omitted' }),
    instructions: z.string().optional().meta({ description: 'A system message placed before the input' }),
    input: z
      .union([z.string().min(1), z.array(messageSchema).min(1)])
      .optional()
      .meta({ description: 'A prompt, or message items whose content may hold text and image parts' }),
    messages: z.array(messageSchema).min(1).optional().meta({ description: 'Chat-style messages, instead of input' }),
    stream: z.boolean().default(false).meta({ description: 'Answer with server-sent events (Responses API event sequence)' }),
    temperature: temperatureSchema.optional(),
    max_output_tokens: maxOutputTokensSchema.optional(),
    seed: z.int().optional().meta({ description: 'Sampling seed, where the model supports one' }),
    response_format: responseFormatSchema.optional(),
    text: z.object({ format: responseFormatSchema.optional() }).optional().meta({ description: 'OpenAI Responses API spelling of response_format' }),
    ...asyncFields,
  })
  .superRefine((request, ctx) => {
    if (request.input === undefined && request.messages === undefined) {
      ctx.addIssue({ code: 'custom', path: ['input'], message: 'Provide input or messages' });
    }
    if (request.input !== undefined && request.messages !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'Provide input or messages, not both' });
    }
  })
  .meta({ id: 'CreateResponseRequest' });
export type ResponsesRequest = z.output<typeof responsesRequestSchema>;

const outputTextSchema = z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()) });

export const responseMessageSchema = z.object({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
  content: z.array(outputTextSchema),
});

export const responseUsageSchema = z.object({
  input_tokens: z.int(),
  input_tokens_details: z.object({ cached_tokens: z.int() }),
  output_tokens: z.int(),
  output_tokens_details: z.object({ reasoning_tokens: z.int() }),
  total_tokens: z.int(),
});

/** OpenAI's Response object; the native route adds `output_text` (the SDKs' convenience). */
export const responseObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal('response'),
    created_at: z.int(),
    status: z.enum(['completed', 'failed', 'in_progress', 'cancelled', 'queued', 'incomplete']),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    incomplete_details: z.object({ reason: z.enum(['max_output_tokens', 'content_filter']) }).nullable(),
    instructions: z.string().nullable(),
    max_output_tokens: z.int().nullable(),
    model: z.string(),
    output: z.array(responseMessageSchema),
    temperature: z.number().nullable(),
    text: z.object({ format: z.record(z.string(), z.unknown()) }),
    usage: responseUsageSchema.nullable(),
    output_text: z.string().optional(),
  })
  .meta({ id: 'Response' });
export type ResponseObject = z.infer<typeof responseObjectSchema>;

import { z } from 'zod';
import { asyncFields } from './common.ts';
import { maxOutputTokensSchema, messageSchema, responseFormatSchema, temperatureSchema } from './text-generation.ts';

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).optional(),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().default(false),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    temperature: temperatureSchema.nullish(),
    max_tokens: maxOutputTokensSchema.nullish(),
    max_completion_tokens: maxOutputTokensSchema.nullish(),
    seed: z.int().nullish(),
    n: z.literal(1, { error: 'Only n=1 is supported' }).nullish(),
    response_format: responseFormatSchema.optional(),
    ...asyncFields,
  })
  .meta({ id: 'CreateChatCompletionRequest' });
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter']);

const chatUsageSchema = z.object({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() });

export const chatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.int(),
        message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
        logprobs: z.null(),
        finish_reason: finishReasonSchema,
      }),
    ),
    usage: chatUsageSchema,
    system_fingerprint: z.string().nullable(),
  })
  .meta({ id: 'ChatCompletion' });
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const chatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: z.int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.int(),
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
        logprobs: z.null(),
        finish_reason: finishReasonSchema.nullable(),
      }),
    ),
    usage: chatUsageSchema.nullable().optional(),
    system_fingerprint: z.string().nullable(),
  })
  .meta({ id: 'ChatCompletionChunk' });
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

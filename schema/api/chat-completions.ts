import { z } from 'zod';
import { asyncFields, unofferedField } from './common.ts';
import {
  chatFunctionToolSchema,
  contentPartSchema,
  logitBiasSchema,
  maxOutputTokensSchema,
  penaltySchema,
  responseFormatSchema,
  stopSchema,
  temperatureSchema,
  toolChoiceSchema,
  topPSchema,
} from './text-generation.ts';

const textContent = z.union([z.string(), z.array(contentPartSchema).min(1)]);

/** Chat messages by role, as OpenAI defines them: assistant turns may call tools, tool turns answer them. */
export const chatMessageSchema = z
  .discriminatedUnion('role', [
    z.object({ role: z.enum(['system', 'developer', 'user']), content: textContent, name: z.string().optional() }),
    z.object({
      role: z.literal('assistant'),
      content: textContent.nullish(),
      name: z.string().optional(),
      refusal: z.string().nullish(),
      tool_calls: z
        .array(z.object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string().min(1), arguments: z.string() }) }))
        .optional(),
    }),
    z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) }),
  ])
  .meta({ id: 'ChatMessage' });
export type ChatMessageInput = z.infer<typeof chatMessageSchema>;

/** A field accepted at its neutral value only: anything else is a 400 naming it. */
const neutralOnly = <T extends z.ZodType>(schema: T, reason: string) => schema.meta({ description: reason });

/**
 * Every field of OpenAI's request. Each is applied (here or by the upstream) or, where the chosen
 * model cannot apply the value sent, refused with a 400 naming it; unknown fields are refused too.
 */
export const chatCompletionRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional(),
    messages: z.array(chatMessageSchema).min(1),
    stream: z.boolean().default(false),
    stream_options: z
      .object({
        include_usage: z.boolean().optional(),
        include_obfuscation: z.literal(false, { error: 'Streams here carry no obfuscation padding: send false or leave it out' }).optional(),
      })
      .nullish(),
    temperature: temperatureSchema.nullish(),
    top_p: topPSchema.nullish(),
    max_tokens: maxOutputTokensSchema.nullish(),
    max_completion_tokens: maxOutputTokensSchema.nullish(),
    seed: z.int().nullish(),
    n: z.literal(1, { error: 'Only n=1 is supported' }).nullish(),
    stop: stopSchema.nullish(),
    presence_penalty: penaltySchema.nullish(),
    frequency_penalty: penaltySchema.nullish(),
    logit_bias: logitBiasSchema.nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.int().min(0).max(20).nullish(),
    response_format: responseFormatSchema.optional(),
    tools: z.array(chatFunctionToolSchema).max(128).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    user: z.string().max(256).optional(),
    safety_identifier: z.string().max(256).optional(),
    prompt_cache_key: z.string().max(256).optional(),
    store: neutralOnly(z.literal(false, { error: 'This service does not store chat completions: send false or leave it out' }).nullish(), 'false only'),
    metadata: neutralOnly(z.record(z.string(), z.string()).nullish(), 'kept only with store, which this service does not offer: empty or absent'),
    service_tier: z.enum(['auto', 'default']).nullish(),
    modalities: z.array(z.literal('text', { error: 'Only text output is supported' })).nullish(),
    reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
    verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    audio: unofferedField(z.object({ format: z.string(), voice: z.unknown() }).loose(), 'no chat model here answers in audio: turn its text into speech with /v1/audio/speech'),
    prediction: unofferedField(z.object({ type: z.literal('content'), content: z.unknown() }), 'predicted outputs are not applied by any model here'),
    web_search_options: unofferedField(z.object({}).loose(), 'no model here searches the web'),
    prompt_cache_retention: unofferedField(z.enum(['in-memory', '24h']), 'only in-memory: no upstream here is asked to keep a prompt cache longer', (value) => value === 'in-memory'),
    ...asyncFields,
  })
  .superRefine((request, ctx) => {
    if (request.metadata && Object.keys(request.metadata).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['metadata'], message: 'Kept only with store, which this service does not offer' });
    }
  })
  .meta({ id: 'CreateChatCompletionRequest', examples: [{ model: 'local:stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 16 }] });
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter']);

const chatUsageSchema = z.object({
  prompt_tokens: z.int(),
  completion_tokens: z.int(),
  total_tokens: z.int(),
  /** Present when the upstream reported them. */
  prompt_tokens_details: z.object({ cached_tokens: z.int() }).optional(),
  completion_tokens_details: z.object({ reasoning_tokens: z.int() }).optional(),
});

const toolCallWireSchema = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });

export const chatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.null(),
          tool_calls: z.array(toolCallWireSchema).optional(),
          annotations: z.array(z.unknown()),
        }),
        logprobs: z.object({ content: z.array(z.unknown()).nullable(), refusal: z.array(z.unknown()).nullable() }).nullable(),
        finish_reason: finishReasonSchema,
      }),
    ),
    usage: chatUsageSchema,
    service_tier: z.string(),
    system_fingerprint: z.string(),
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
        delta: z.object({
          role: z.literal('assistant').optional(),
          content: z.string().nullable().optional(),
          tool_calls: z
            .array(
              z.object({
                index: z.int(),
                id: z.string().optional(),
                type: z.literal('function').optional(),
                function: z.object({ name: z.string().optional(), arguments: z.string() }),
              }),
            )
            .optional(),
        }),
        logprobs: z.object({ content: z.array(z.unknown()).nullable(), refusal: z.array(z.unknown()).nullable() }).nullable(),
        finish_reason: finishReasonSchema.nullable(),
      }),
    ),
    usage: chatUsageSchema.nullable().optional(),
    service_tier: z.string(),
    system_fingerprint: z.string(),
  })
  .meta({ id: 'ChatCompletionChunk' });
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

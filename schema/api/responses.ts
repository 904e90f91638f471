import { z } from 'zod';
import { asyncFields, unofferedField } from './common.ts';
import {
  maxOutputTokensSchema,
  messageSchema,
  responseFormatSchema,
  temperatureSchema,
  toolChoiceSchema,
  topPSchema,
} from './text-generation.ts';

/** A call the model made earlier, sent back as part of the conversation. */
const functionCallItemSchema = z.object({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
});

/** What a function returned, for the call with this `call_id`. */
const functionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  output: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
});

export const responseInputItemSchema = z.union([messageSchema, functionCallItemSchema, functionCallOutputItemSchema]).meta({ id: 'ResponseInputItem' });
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;

/** A function tool as the Responses API flattens it. */
export const responsesFunctionToolSchema = z
  .object({
    type: z.literal('function'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  })
  .meta({ id: 'ResponsesFunctionTool' });

/**
 * The request of `/infra/ai/responses` and `/v1/responses`: OpenAI Responses API fields plus ours.
 * Unknown fields are refused; fields for features this service does not offer are accepted at
 * their neutral value only, anything else is a 400 naming them.
 */
export const responsesRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'provider:model id; the configured default text model when omitted' }),
    instructions: z.string().nullish().meta({ description: 'A system message placed before the input' }),
    input: z
      .union([z.string().min(1), z.array(responseInputItemSchema).min(1)])
      .optional()
      .meta({ description: 'A prompt, or items: messages (text and image parts), function calls and their outputs' }),
    messages: z.array(messageSchema).min(1).optional().meta({ description: 'Chat-style messages, instead of input' }),
    stream: z.boolean().default(false).meta({ description: 'Answer with server-sent events (Responses API event sequence)' }),
    temperature: temperatureSchema.nullish(),
    top_p: topPSchema.nullish(),
    max_output_tokens: maxOutputTokensSchema.nullish(),
    seed: z.int().optional().meta({ description: 'Sampling seed, where the model supports one' }),
    response_format: responseFormatSchema.optional(),
    text: z
      .object({ format: responseFormatSchema.optional(), verbosity: z.enum(['low', 'medium', 'high']).nullish() })
      .optional()
      .meta({ description: 'OpenAI Responses API spelling of response_format' }),
    tools: z.array(responsesFunctionToolSchema).max(128).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().nullish(),
    user: z.string().max(256).optional(),
    safety_identifier: z.string().max(256).optional(),
    prompt_cache_key: z.string().max(256).optional(),
    store: z.boolean().nullish().meta({ description: 'Keep the response for retrieval and previous_response_id (default true, as OpenAI)' }),
    previous_response_id: z.string().min(1).nullish().meta({ description: 'Continue the conversation of a stored response' }),
    background: z.boolean().nullish().meta({ description: 'Answer at once with a queued response; poll GET /v1/responses/{id}, or cancel it' }),
    metadata: z.record(z.string(), z.string()).nullish(),
    truncation: z.literal('disabled', { error: 'Only disabled: the input is never cut' }).nullish(),
    service_tier: z.enum(['auto', 'default']).nullish(),
    include: z.array(z.string()).max(0, { error: 'No additional output data is available' }).nullish(),
    reasoning: z
      .object({
        effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish().meta({ description: 'Sent to the model as reasoning_effort; refused for a model that does not apply it' }),
        summary: unofferedField(z.enum(['auto', 'concise', 'detailed']), 'no model here returns reasoning summaries'),
        generate_summary: unofferedField(z.enum(['auto', 'concise', 'detailed']), 'no model here returns reasoning summaries'),
      })
      .nullish(),
    top_logprobs: unofferedField(z.int().min(0).max(20), 'Responses output here carries no log probabilities: ask /v1/chat/completions with logprobs', (value) => value === 0),
    max_tool_calls: unofferedField(z.int().min(1), 'not enforced here: parallel_tool_calls: false limits a response to one call'),
    stream_options: z
      .object({ include_obfuscation: z.literal(false, { error: 'Streams here carry no obfuscation padding: send false or leave it out' }).optional() })
      .nullish(),
    conversation: unofferedField(z.union([z.string(), z.object({ id: z.string() })]), 'conversations are not kept by this service: continue one with previous_response_id'),
    prompt: unofferedField(z.object({ id: z.string() }).loose(), 'stored prompt templates are not kept by this service: send instructions and input'),
    ...asyncFields,
  })
  .superRefine((request, ctx) => {
    if (request.input === undefined && request.messages === undefined) {
      ctx.addIssue({ code: 'custom', path: ['input'], message: 'Provide input or messages' });
    }
    if (request.input !== undefined && request.messages !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['messages'], message: 'Provide input or messages, not both' });
    }
    if (request.metadata && Object.keys(request.metadata).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['metadata'], message: 'Not kept by this service: leave it out or empty' });
    }
  })
  .meta({ id: 'CreateResponseRequest', examples: [{ model: 'local:stories260K', input: 'Once upon a time', max_output_tokens: 16, temperature: 0 }] });
export type ResponsesRequest = z.output<typeof responsesRequestSchema>;

const outputTextSchema = z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()), logprobs: z.array(z.unknown()) });

export const responseMessageSchema = z.object({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
  content: z.array(outputTextSchema),
});

export const responseFunctionCallSchema = z.object({
  id: z.string(),
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']),
});

export const responseOutputItemSchema = z.discriminatedUnion('type', [responseMessageSchema, responseFunctionCallSchema]);
export type ResponseOutputItem = z.infer<typeof responseOutputItemSchema>;

export const responseUsageSchema = z.object({
  input_tokens: z.int(),
  // Nothing here writes a prompt cache of its own, so cache_write_tokens is 0 (also in responses
  // stored before it was reported).
  input_tokens_details: z.object({ cached_tokens: z.int(), cache_write_tokens: z.int().default(0) }),
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
    output: z.array(responseOutputItemSchema),
    parallel_tool_calls: z.boolean(),
    previous_response_id: z.string().nullable(),
    reasoning: z.object({ effort: z.string().nullable(), summary: z.string().nullable() }),
    service_tier: z.string(),
    store: z.boolean(),
    background: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    temperature: z.number(),
    top_p: z.number(),
    presence_penalty: z.number(),
    frequency_penalty: z.number(),
    top_logprobs: z.int(),
    max_tool_calls: z.int().nullable(),
    safety_identifier: z.string().nullable(),
    prompt_cache_key: z.string().nullable(),
    text: z.object({ format: z.record(z.string(), z.unknown()) }),
    tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]),
    tools: z.array(z.record(z.string(), z.unknown())),
    truncation: z.string(),
    user: z.string().nullable(),
    completed_at: z.int().nullable(),
    usage: responseUsageSchema.nullable(),
    output_text: z.string().optional(),
  })
  .meta({ id: 'Response' });
export type ResponseObject = z.infer<typeof responseObjectSchema>;

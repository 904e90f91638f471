import { z } from 'zod';
import type { ChatMessage, FinishReason, Logprobs, GenerationOption, ResponseFormat, TextGenerationRequest, TextUsage, ToolCall, ToolChoice } from '../spec/text-generation.ts';
import type { TokenLimitField } from './settings.ts';

/** Only what we read of an upstream's answers; anything else it sends is ignored. */
const usageSchema = z
  .object({
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
  })
  .nullish();

/** Relayed as the upstream sent them. */
const logprobsSchema = z.object({ content: z.array(z.unknown()).nullish(), refusal: z.array(z.unknown()).nullish() }).nullish();

const toolCallSchema = z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string().nullish() }) });

export const chatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish() }),
        finish_reason: z.string().nullish(),
        logprobs: logprobsSchema,
      }),
    )
    .min(1),
  usage: usageSchema,
});

const toolCallDeltaSchema = z.object({
  index: z.number().int(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

export const chatChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() }).nullish(),
        finish_reason: z.string().nullish(),
        logprobs: logprobsSchema,
      }),
    )
    .nullish(),
  usage: usageSchema,
});

export function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  return 'stop';
}

export function mapToolCalls(calls: z.infer<typeof toolCallSchema>[] | null | undefined): ToolCall[] {
  return (calls ?? []).map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }));
}

/** Log probabilities relayed as the upstream sent them (absent when it sent none). */
export function mapLogprobs(logprobs: z.infer<typeof logprobsSchema>): Logprobs | undefined {
  return logprobs ? { content: logprobs.content ?? null, refusal: logprobs.refusal ?? null } : undefined;
}

export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

/** Every option an OpenAI-compatible upstream takes as it is; log probabilities come back as it sends them. */
export const openAiHonours: ReadonlySet<GenerationOption> = new Set<GenerationOption>([
  'topP',
  'stop',
  'presencePenalty',
  'frequencyPenalty',
  'logitBias',
  'logprobs',
  'topLogprobs',
  'tools',
  'toolChoice',
  'parallelToolCalls',
  'user',
  'safetyIdentifier',
  'reasoningEffort',
  'verbosity',
  'promptCacheKey',
]);

export function mapUsage(usage: NonNullable<z.infer<typeof usageSchema>>): TextUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

function toWireMessage(message: ChatMessage) {
  // `developer` is OpenAI-only; every compatible server understands `system`.
  const role = message.role === 'developer' ? 'system' : message.role;
  if (message.role === 'tool') return { role, tool_call_id: message.toolCallId, content: message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') };
  if (message.toolCalls?.length) {
    const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return {
      role,
      content: text.length > 0 ? text : null,
      tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    };
  }
  const onlyText = message.content.every((part) => part.type === 'text');
  // Separate text parts stay separate paragraphs when they are sent as one string.
  if (onlyText) return { role, content: message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n\n') };
  return {
    role,
    content: message.content.map((part) =>
      part.type === 'text'
        ? { type: 'text', text: part.text }
        : { type: 'image_url', image_url: { url: part.url, ...(part.detail ? { detail: part.detail } : {}) } },
    ),
  };
}

function toWireResponseFormat(format: ResponseFormat) {
  if (format.type !== 'json_schema') return format;
  return {
    type: 'json_schema',
    json_schema: { name: format.name, schema: format.schema, ...(format.strict === undefined ? {} : { strict: format.strict }) },
  };
}

function toWireToolChoice(choice: ToolChoice) {
  return choice.type === 'function' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

/** Sets only what is set: an upstream sees exactly the request's own options. */
const optional = <T>(name: string, value: T | undefined, wire: (value: T) => unknown = (same) => same) => (value === undefined ? {} : { [name]: wire(value) });

/**
 * The Chat Completions request body: the endpoint every OpenAI-compatible server implements. The
 * output token limit goes under the name the upstream reads (`tokenLimitField`).
 */
export function toChatCompletionBody(upstreamModel: string, request: TextGenerationRequest, stream: boolean, tokenLimitField: TokenLimitField = 'max_tokens') {
  return {
    model: upstreamModel,
    messages: request.messages.map(toWireMessage),
    ...optional('temperature', request.temperature),
    ...optional(tokenLimitField, request.maxOutputTokens),
    ...optional('seed', request.seed),
    ...optional('top_p', request.topP),
    ...optional('stop', request.stop),
    ...optional('presence_penalty', request.presencePenalty),
    ...optional('frequency_penalty', request.frequencyPenalty),
    ...optional('logit_bias', request.logitBias),
    ...optional('logprobs', request.logprobs),
    ...optional('top_logprobs', request.topLogprobs),
    ...optional('user', request.user),
    ...optional('safety_identifier', request.safetyIdentifier),
    ...optional('reasoning_effort', request.reasoningEffort),
    ...optional('verbosity', request.verbosity),
    ...optional('prompt_cache_key', request.promptCacheKey),
    ...optional('tools', request.tools, (tools) =>
      tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, ...optional('description', tool.description), ...optional('parameters', tool.parameters), ...optional('strict', tool.strict) },
      })),
    ),
    ...optional('tool_choice', request.toolChoice, toWireToolChoice),
    ...optional('parallel_tool_calls', request.tools?.length ? request.parallelToolCalls : undefined),
    ...(request.responseFormat.type === 'text' ? {} : { response_format: toWireResponseFormat(request.responseFormat) }),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

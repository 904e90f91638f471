import { ApiError } from '../../router/errors.ts';
import type { ChatMessage, ContentPart, GenerationOption, GenerationOptions, ResponseFormat, ToolChoice } from '../../providers/spec/text-generation.ts';
import type { ChatCompletionRequest, ChatMessageInput } from '../../schema/api/chat-completions.ts';
import type { ResponseInputItem, ResponsesRequest } from '../../schema/api/responses.ts';
import type { ContentPartInput, MessageInput, ResponseFormatInput, ToolChoiceInput } from '../../schema/api/text-generation.ts';

/** A text-generation call, whichever wire shape it arrived in. */
export interface TextArgs {
  model: string | undefined;
  instructions: string | undefined;
  messages: ChatMessage[];
  temperature: number | undefined;
  maxOutputTokens: number | undefined;
  seed: number | undefined;
  responseFormat: ResponseFormat;
  /** Sampling, tools and the rest, as the model gets them. */
  options: GenerationOptions;
  /** Each option's field in this wire shape, named when a model cannot honour it. */
  fields: Partial<Record<GenerationOption, string>>;
  async: boolean;
}

/** The same fields in both OpenAI dialects, where they are spelled alike. */
const commonFields: Partial<Record<GenerationOption, string>> = {
  topP: 'top_p',
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  user: 'user',
  safetyIdentifier: 'safety_identifier',
  promptCacheKey: 'prompt_cache_key',
};

export function toToolChoice(choice: ToolChoiceInput | undefined): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'string') return { type: choice };
  return { type: 'function', name: 'function' in choice ? choice.function.name : choice.name };
}

function toContentPart(part: ContentPartInput): ContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: part.text };
    case 'input_image':
      return { type: 'image', url: part.image_url, detail: part.detail };
    case 'image_url':
      return { type: 'image', url: part.image_url.url, detail: part.image_url.detail };
    case 'input_file':
      // Files are read into text before a request is mapped (file-inputs.ts).
      throw new ApiError('bad_request', 'input: a file part was not read', { param: 'input' });
  }
}

function toChatMessage(message: MessageInput): ChatMessage {
  const content = typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : message.content.map(toContentPart);
  return { role: message.role, content };
}

export function toResponseFormat(format: ResponseFormatInput | undefined, param: string): ResponseFormat {
  if (!format || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  const schema = format.json_schema?.schema ?? format.schema;
  if (!schema) {
    throw new ApiError('bad_request', `${param}: a json_schema format needs a schema`, { param: `${param}.schema` });
  }
  return {
    type: 'json_schema',
    name: format.json_schema?.name ?? format.name ?? 'response',
    schema,
    strict: format.json_schema?.strict ?? format.strict ?? undefined,
  };
}

/** Responses input items as chat turns: consecutive function calls form one assistant turn. */
function fromResponseItems(items: ResponseInputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === 'function_call') {
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && last.toolCalls) last.toolCalls.push(call);
      else messages.push({ role: 'assistant', content: [], toolCalls: [call] });
    } else if (item.type === 'function_call_output') {
      messages.push({ role: 'tool', content: [{ type: 'text', text: item.output }], toolCallId: item.call_id });
    } else messages.push(toChatMessage(item));
  }
  return messages;
}

/** A request's input as Responses input items, whichever way it was given. */
export function inputItemsOf(request: ResponsesRequest): ResponseInputItem[] {
  if (typeof request.input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: request.input }] }];
  return request.input ?? request.messages ?? [];
}

/** `prior`: the conversation a `previous_response_id` continues, as input items. */
export function fromResponsesRequest(request: ResponsesRequest, prior: ResponseInputItem[] = []): TextArgs {
  const messages = fromResponseItems([...prior, ...inputItemsOf(request)]);
  const format = request.response_format ?? request.text?.format;
  return {
    model: request.model,
    instructions: request.instructions ?? undefined,
    messages,
    temperature: request.temperature ?? undefined,
    maxOutputTokens: request.max_output_tokens ?? undefined,
    seed: request.seed,
    responseFormat: toResponseFormat(format, request.response_format ? 'response_format' : 'text.format'),
    options: {
      topP: request.top_p ?? undefined,
      tools: request.tools?.map((tool) => ({
        name: tool.name,
        description: tool.description ?? undefined,
        parameters: tool.parameters ?? undefined,
        strict: tool.strict ?? undefined,
      })),
      toolChoice: toToolChoice(request.tool_choice),
      parallelToolCalls: request.parallel_tool_calls ?? undefined,
      user: request.user,
      safetyIdentifier: request.safety_identifier,
      verbosity: request.text?.verbosity ?? undefined,
      reasoningEffort: request.reasoning?.effort ?? undefined,
      promptCacheKey: request.prompt_cache_key,
    },
    fields: { ...commonFields, verbosity: 'text.verbosity', reasoningEffort: 'reasoning.effort' },
    async: request.async,
  };
}

function fromChatMessage(message: ChatMessageInput): ChatMessage {
  const content = message.content === null || message.content === undefined ? [] : toChatMessage({ role: message.role, content: message.content }).content;
  if (message.role === 'tool') return { role: 'tool', content, toolCallId: message.tool_call_id };
  if (message.role === 'assistant' && message.tool_calls?.length) {
    return { role: 'assistant', content, toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) };
  }
  return { role: message.role, content };
}

const stopList = (stop: string | string[] | null | undefined) => (stop === null || stop === undefined ? undefined : typeof stop === 'string' ? [stop] : stop);

export function fromChatCompletionRequest(request: ChatCompletionRequest): TextArgs {
  return {
    model: request.model,
    instructions: undefined,
    messages: request.messages.map(fromChatMessage),
    temperature: request.temperature ?? undefined,
    maxOutputTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    seed: request.seed ?? undefined,
    responseFormat: toResponseFormat(request.response_format, 'response_format'),
    options: {
      topP: request.top_p ?? undefined,
      stop: stopList(request.stop),
      presencePenalty: request.presence_penalty ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? undefined,
      logitBias: request.logit_bias ?? undefined,
      logprobs: request.logprobs ?? undefined,
      topLogprobs: request.top_logprobs ?? undefined,
      tools: request.tools?.map((tool) => ({
        name: tool.function.name,
        description: tool.function.description,
        parameters: tool.function.parameters,
        strict: tool.function.strict ?? undefined,
      })),
      toolChoice: toToolChoice(request.tool_choice),
      parallelToolCalls: request.parallel_tool_calls,
      user: request.user,
      safetyIdentifier: request.safety_identifier,
      reasoningEffort: request.reasoning_effort ?? undefined,
      verbosity: request.verbosity ?? undefined,
      promptCacheKey: request.prompt_cache_key,
    },
    fields: {
      ...commonFields,
      reasoningEffort: 'reasoning_effort',
      verbosity: 'verbosity',
      stop: 'stop',
      presencePenalty: 'presence_penalty',
      frequencyPenalty: 'frequency_penalty',
      logitBias: 'logit_bias',
      logprobs: 'logprobs',
      topLogprobs: 'top_logprobs',
    },
    async: request.async,
  };
}

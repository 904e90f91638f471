import { ApiError } from '../../router/errors.ts';
import type { ChatMessage, ContentPart, ResponseFormat } from '../../providers/spec/text-generation.ts';
import type { ChatCompletionRequest } from '../../schema/api/chat-completions.ts';
import type { ResponsesRequest } from '../../schema/api/responses.ts';
import type { ContentPartInput, MessageInput, ResponseFormatInput } from '../../schema/api/text-generation.ts';

/** A text-generation call, whichever wire shape it arrived in. */
export interface TextArgs {
  model: string | undefined;
  instructions: string | undefined;
  messages: ChatMessage[];
  temperature: number | undefined;
  maxOutputTokens: number | undefined;
  seed: number | undefined;
  responseFormat: ResponseFormat;
  async: boolean;
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

export function fromResponsesRequest(request: ResponsesRequest): TextArgs {
  const messages =
    typeof request.input === 'string'
      ? [{ role: 'user' as const, content: [{ type: 'text' as const, text: request.input }] }]
      : (request.input ?? request.messages ?? []).map(toChatMessage);
  const format = request.response_format ?? request.text?.format;
  return {
    model: request.model,
    instructions: request.instructions,
    messages,
    temperature: request.temperature,
    maxOutputTokens: request.max_output_tokens,
    seed: request.seed,
    responseFormat: toResponseFormat(format, request.response_format ? 'response_format' : 'text.format'),
    async: request.async,
  };
}

export function fromChatCompletionRequest(request: ChatCompletionRequest): TextArgs {
  return {
    model: request.model,
    instructions: undefined,
    messages: request.messages.map(toChatMessage),
    temperature: request.temperature ?? undefined,
    maxOutputTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    seed: request.seed ?? undefined,
    responseFormat: toResponseFormat(request.response_format, 'response_format'),
    async: request.async,
  };
}

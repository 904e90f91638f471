import { z } from 'zod';
import type { ChatMessage, FinishReason, ResponseFormat, TextGenerationRequest, TextUsage } from '../spec/text-generation.ts';

/** Only what we read of an upstream's answers; anything else it sends is ignored. */
const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish();

export const chatCompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() })).min(1),
  usage: usageSchema,
});

export const chatChunkSchema = z.object({
  choices: z
    .array(z.object({ delta: z.object({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() }))
    .nullish(),
  usage: usageSchema,
});

export function mapFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

export function mapUsage(usage: NonNullable<z.infer<typeof usageSchema>>): TextUsage {
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
}

function toWireMessage(message: ChatMessage) {
  // `developer` is OpenAI-only; every compatible server understands `system`.
  const role = message.role === 'developer' ? 'system' : message.role;
  const onlyText = message.content.every((part) => part.type === 'text');
  if (onlyText) return { role, content: message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') };
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

/** The Chat Completions request body: the endpoint every OpenAI-compatible server implements. */
export function toChatCompletionBody(upstreamModel: string, request: TextGenerationRequest, stream: boolean) {
  return {
    model: upstreamModel,
    messages: request.messages.map(toWireMessage),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.maxOutputTokens === undefined ? {} : { max_tokens: request.maxOutputTokens }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(request.responseFormat.type === 'text' ? {} : { response_format: toWireResponseFormat(request.responseFormat) }),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

import { randomUUID } from 'node:crypto';
import { buildErrorBody, describeError } from '../../router/errors.ts';
import type { FinishReason, TextStreamPart, TextUsage } from '../../providers/spec/text-generation.ts';
import type { ChatCompletion, ChatCompletionChunk } from '../../schema/api/chat-completions.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { isAbort } from './response-objects.ts';

function toChatUsage(usage: TextUsage) {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

function createCompletionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}

export function toChatCompletion(entry: ModelEntry, result: { text: string; finishReason: FinishReason; usage: TextUsage }): ChatCompletion {
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: entry.id,
    choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: result.finishReason }],
    usage: toChatUsage(result.usage),
    system_fingerprint: null,
  };
}

/** An error frame as OpenAI sends it inside a stream; the SDKs raise it as an APIError. */
export interface ChatStreamError {
  error: { message: string; type: string; param: string | null; code: string };
}

/**
 * Chat chunks: a first delta with the role, content deltas, a last choice chunk with the finish
 * reason, and with `include_usage` one more chunk with no choices and the usage (every chunk
 * then carries `usage: null`). The `[DONE]` terminator belongs to the SSE framing.
 */
export async function* toChatChunks(
  entry: ModelEntry,
  parts: AsyncIterable<TextStreamPart>,
  includeUsage: boolean,
): AsyncGenerator<ChatCompletionChunk | ChatStreamError> {
  const base = { id: createCompletionId(), object: 'chat.completion.chunk' as const, created: Math.floor(Date.now() / 1000), model: entry.id, system_fingerprint: null };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: FinishReason | null): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usageField,
  });

  yield chunk({ role: 'assistant', content: '' }, null);
  try {
    for await (const part of parts) {
      if (part.type === 'text-delta') {
        yield chunk({ content: part.text }, null);
        continue;
      }
      yield chunk({}, part.finishReason);
      if (includeUsage) yield { ...base, choices: [], usage: toChatUsage(part.usage) };
    }
  } catch (error) {
    if (isAbort(error)) return;
    yield buildErrorBody('openai', describeError(error), '') as ChatStreamError;
  }
}

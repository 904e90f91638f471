import { createHash, randomUUID } from 'node:crypto';
import { buildErrorBody, describeError } from '../../router/errors.ts';
import type { FinishReason, TextGenerationResult, TextStreamPart, TextUsage } from '../../providers/spec/text-generation.ts';
import type { ChatCompletion, ChatCompletionChunk } from '../../schema/api/chat-completions.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { isAbort } from './response-objects.ts';

function toChatUsage(usage: TextUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } } : {}),
    ...(usage.reasoningTokens ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
  };
}

function createCompletionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}

/** Which build answered: the model id hashed, stable for a model (OpenAI's fingerprint is a string). */
const fingerprints = new Map<string, string>();

/** A stable fingerprint per model (OpenAI's field is a string), hashed once per model id. */
function fingerprintOf(entry: ModelEntry): string {
  let fingerprint = fingerprints.get(entry.id);
  if (!fingerprint) {
    fingerprint = `fp_${createHash('sha256').update(entry.id).digest('hex').slice(0, 10)}`;
    fingerprints.set(entry.id, fingerprint);
  }
  return fingerprint;
}

export function toChatCompletion(entry: ModelEntry, result: TextGenerationResult): ChatCompletion {
  const toolCalls = result.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: entry.id,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // A turn that only calls tools has no content, as OpenAI answers it.
          content: toolCalls.length > 0 && result.text === '' ? null : result.text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          annotations: [],
        },
        logprobs: result.logprobs ? { content: result.logprobs.content, refusal: result.logprobs.refusal ?? null } : null,
        finish_reason: result.finishReason,
      },
    ],
    usage: toChatUsage(result.usage),
    service_tier: 'default',
    system_fingerprint: fingerprintOf(entry),
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
  const base = {
    id: createCompletionId(),
    object: 'chat.completion.chunk' as const,
    created: Math.floor(Date.now() / 1000),
    model: entry.id,
    service_tier: 'default',
    system_fingerprint: fingerprintOf(entry),
  };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: FinishReason | null, logprobs: ChatCompletionChunk['choices'][number]['logprobs'] = null): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, logprobs, finish_reason: finishReason }],
    ...usageField,
  });

  // As OpenAI does: the role comes with the first part, with `content: ''` before text and
  // `content: null` on a turn that opens with a tool call (clients read "" as a text part).
  let roleSent = false;
  const role = (content: '' | null) => {
    roleSent = true;
    return { role: 'assistant' as const, content };
  };
  try {
    for await (const part of parts) {
      if (part.type === 'start') continue;
      if (part.type === 'text-delta') {
        if (part.text === '') continue;
        if (!roleSent) yield chunk(role(''), null);
        yield chunk({ content: part.text }, null, part.logprobs ? { content: part.logprobs.content, refusal: part.logprobs.refusal ?? null } : null);
        continue;
      }
      if (part.type === 'tool-call-delta') {
        // The first piece of a call carries its id, type and name; later ones only arguments.
        const first = part.id !== undefined || part.name !== undefined;
        yield chunk(
          {
            ...(roleSent ? {} : role(null)),
            tool_calls: [
              {
                index: part.index,
                ...(first ? { id: part.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, type: 'function' as const } : {}),
                function: { ...(part.name === undefined ? {} : { name: part.name }), arguments: part.argumentsDelta },
              },
            ],
          },
          null,
        );
        continue;
      }
      if (!roleSent) yield chunk(role(''), null);
      yield chunk({}, part.finishReason);
      if (includeUsage) yield { ...base, choices: [], usage: toChatUsage(part.usage) };
    }
  } catch (error) {
    if (isAbort(error)) return;
    yield buildErrorBody('openai', describeError(error), '') as ChatStreamError;
  }
}

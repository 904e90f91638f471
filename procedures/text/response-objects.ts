import { randomUUID } from 'node:crypto';
import { describeError } from '../../router/errors.ts';
import type { FinishReason, ResponseFormat, TextGenerationResult, TextStreamPart, TextUsage, ToolCall } from '../../providers/spec/text-generation.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import type { ResponseObject, ResponseOutputItem } from '../../schema/api/responses.ts';
import type { TextArgs } from './text-args.ts';

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;

function toWireFormat(format: ResponseFormat): Record<string, unknown> {
  return format.type === 'json_schema'
    ? { type: 'json_schema', name: format.name, schema: format.schema, strict: format.strict ?? false }
    : { type: format.type };
}

function toUsage(usage: TextUsage): NonNullable<ResponseObject['usage']> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0, cache_write_tokens: 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

function outputMessage(id: string, text: string, status: ItemStatus): ResponseOutputItem {
  return { id, type: 'message', role: 'assistant', status, content: status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
}

function functionCallItem(id: string, call: ToolCall, status: ItemStatus): ResponseOutputItem {
  return { id, type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments, status };
}

interface ResponseState {
  responseId: string;
  createdAt: number;
  entry: ModelEntry;
  args: TextArgs;
}

function toolChoiceOf(args: TextArgs): ResponseObject['tool_choice'] {
  const choice = args.options.toolChoice;
  if (!choice) return 'auto';
  return choice.type === 'function' ? { type: 'function', name: choice.name } : choice.type;
}

/** Every field OpenAI's Response object carries, with what this request really had. */
function responseObject(state: ResponseState, body: Pick<ResponseObject, 'status' | 'output' | 'usage' | 'incomplete_details'>): ResponseObject {
  const { args } = state;
  const finished = body.status !== 'in_progress' && body.status !== 'queued';
  return {
    id: state.responseId,
    object: 'response',
    created_at: state.createdAt,
    error: null,
    instructions: args.instructions ?? null,
    max_output_tokens: args.maxOutputTokens ?? null,
    model: state.entry.id,
    parallel_tool_calls: args.options.parallelToolCalls ?? true,
    previous_response_id: null,
    reasoning: { effort: args.options.reasoningEffort ?? null, summary: null },
    service_tier: 'default',
    store: false,
    background: false,
    metadata: {},
    // OpenAI reports the sampling defaults it applied: 1 for both.
    temperature: args.temperature ?? 1,
    top_p: args.options.topP ?? 1,
    presence_penalty: args.options.presencePenalty ?? 0,
    frequency_penalty: args.options.frequencyPenalty ?? 0,
    top_logprobs: args.options.topLogprobs ?? 0,
    max_tool_calls: null,
    safety_identifier: args.options.safetyIdentifier ?? null,
    prompt_cache_key: args.options.promptCacheKey ?? null,
    text: { format: toWireFormat(args.responseFormat) },
    tool_choice: toolChoiceOf(args),
    tools: (args.options.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? true,
    })),
    truncation: 'disabled',
    user: args.options.user ?? null,
    completed_at: finished ? Math.floor(Date.now() / 1000) : null,
    ...body,
  };
}

function statusOf(finishReason: FinishReason) {
  const incomplete = finishReason === 'length' || finishReason === 'content_filter';
  return {
    status: incomplete ? ('incomplete' as const) : ('completed' as const),
    incomplete_details: incomplete ? { reason: finishReason === 'length' ? ('max_output_tokens' as const) : ('content_filter' as const) } : null,
  };
}

/** A response accepted to run in the background, before it has run. */
export function queuedResponseObject(entry: ModelEntry, args: TextArgs, responseId: string): ResponseObject {
  return responseObject({ responseId, createdAt: Math.floor(Date.now() / 1000), entry, args }, { status: 'queued', output: [], usage: null, incomplete_details: null });
}

/** A finished generation as OpenAI's Response object: its text (if any) then its function calls. */
export function toResponseObject(entry: ModelEntry, args: TextArgs, result: TextGenerationResult, responseId = newId('resp')): ResponseObject {
  const state = { responseId, createdAt: Math.floor(Date.now() / 1000), entry, args };
  const { status, incomplete_details } = statusOf(result.finishReason);
  const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
  const output = [
    ...(result.text !== '' || result.toolCalls.length === 0 ? [outputMessage(newId('msg'), result.text, itemStatus)] : []),
    ...result.toolCalls.map((call) => functionCallItem(newId('fc'), call, 'completed')),
  ];
  return responseObject(state, { status, incomplete_details, output, usage: toUsage(result.usage) });
}

export type ResponseStreamEvent = { type: string; sequence_number: number } & Record<string, unknown>;

interface OpenCall {
  outputIndex: number;
  itemId: string;
  call: ToolCall;
}

/**
 * The Responses API event sequence: created, in_progress, then per output item its added event,
 * its deltas (text, or function-call arguments) and done events, then completed (or incomplete).
 * Items open as their first piece arrives, in that order. A failure after the start becomes an
 * `error` event, and the stream ends.
 */
export async function* toResponseEvents(entry: ModelEntry, args: TextArgs, parts: AsyncIterable<TextStreamPart>): AsyncGenerator<ResponseStreamEvent> {
  const state: ResponseState = { responseId: newId('resp'), createdAt: Math.floor(Date.now() / 1000), entry, args };
  let sequence = 0;
  let nextIndex = 0;
  const event = (type: string, body: Record<string, unknown>): ResponseStreamEvent => ({ type, sequence_number: sequence++, ...body });
  const inProgress = responseObject(state, { status: 'in_progress', output: [], usage: null, incomplete_details: null });

  yield event('response.created', { response: inProgress });
  yield event('response.in_progress', { response: inProgress });

  let message: { outputIndex: number; itemId: string } | undefined;
  let text = '';
  const calls = new Map<number, OpenCall>();
  const openMessage = function* () {
    if (message) return message;
    message = { outputIndex: nextIndex++, itemId: newId('msg') };
    yield event('response.output_item.added', { output_index: message.outputIndex, item: outputMessage(message.itemId, '', 'in_progress') });
    yield event('response.content_part.added', { item_id: message.itemId, output_index: message.outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    return message;
  };

  try {
    for await (const part of parts) {
      if (part.type === 'start') continue;
      if (part.type === 'text-delta') {
        // An empty piece (a local model's, beside a forced call) opens no message item.
        if (part.text === '') continue;
        const open = yield* openMessage();
        text += part.text;
        yield event('response.output_text.delta', { item_id: open.itemId, output_index: open.outputIndex, content_index: 0, delta: part.text, logprobs: [] });
        continue;
      }
      if (part.type === 'tool-call-delta') {
        let open = calls.get(part.index);
        if (!open) {
          open = { outputIndex: nextIndex++, itemId: newId('fc'), call: { id: part.id ?? newId('call'), name: part.name ?? '', arguments: '' } };
          calls.set(part.index, open);
          yield event('response.output_item.added', { output_index: open.outputIndex, item: functionCallItem(open.itemId, open.call, 'in_progress') });
        } else if (part.name && !open.call.name) open.call.name = part.name;
        if (part.argumentsDelta) {
          open.call.arguments += part.argumentsDelta;
          yield event('response.function_call_arguments.delta', { item_id: open.itemId, output_index: open.outputIndex, delta: part.argumentsDelta });
        }
        continue;
      }
      const { status, incomplete_details } = statusOf(part.finishReason);
      const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
      if (calls.size === 0) yield* openMessage();
      const output: { index: number; item: ResponseOutputItem }[] = [];
      if (message) {
        const location = { item_id: message.itemId, output_index: message.outputIndex, content_index: 0 };
        const item = outputMessage(message.itemId, text, itemStatus);
        yield event('response.output_text.done', { ...location, text, logprobs: [] });
        yield event('response.content_part.done', { ...location, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
        yield event('response.output_item.done', { output_index: message.outputIndex, item });
        output.push({ index: message.outputIndex, item });
      }
      for (const open of calls.values()) {
        const item = functionCallItem(open.itemId, open.call, 'completed');
        yield event('response.function_call_arguments.done', { item_id: open.itemId, output_index: open.outputIndex, name: open.call.name, arguments: open.call.arguments });
        yield event('response.output_item.done', { output_index: open.outputIndex, item });
        output.push({ index: open.outputIndex, item });
      }
      output.sort((left, right) => left.index - right.index);
      const finished = responseObject(state, { status, incomplete_details, output: output.map((entry) => entry.item), usage: toUsage(part.usage) });
      yield event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: finished });
    }
  } catch (error) {
    if (isAbort(error)) return;
    const failure = describeError(error);
    yield event('error', { code: failure.code, message: failure.message, param: failure.param ?? null });
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

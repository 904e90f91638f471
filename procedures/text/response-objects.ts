import { randomUUID } from 'node:crypto';
import { describeError } from '../../router/errors.ts';
import type { FinishReason, ResponseFormat, TextStreamPart, TextUsage } from '../../providers/spec/text-generation.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import type { ResponseObject } from '../../schema/api/responses.ts';
import type { TextArgs } from './text-args.ts';

export function createResponseIds() {
  return { responseId: `resp_${randomUUID().replaceAll('-', '')}`, messageId: `msg_${randomUUID().replaceAll('-', '')}` };
}

function toWireFormat(format: ResponseFormat): Record<string, unknown> {
  return format.type === 'json_schema'
    ? { type: 'json_schema', name: format.name, schema: format.schema, strict: format.strict ?? false }
    : { type: format.type };
}

function toUsage(usage: TextUsage): NonNullable<ResponseObject['usage']> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

function outputMessage(messageId: string, text: string, status: 'in_progress' | 'completed' | 'incomplete') {
  return {
    id: messageId,
    type: 'message' as const,
    role: 'assistant' as const,
    status,
    content: status === 'in_progress' ? [] : [{ type: 'output_text' as const, text, annotations: [] }],
  };
}

interface ResponseState {
  ids: ReturnType<typeof createResponseIds>;
  createdAt: number;
  entry: ModelEntry;
  args: TextArgs;
}

function responseObject(state: ResponseState, body: Pick<ResponseObject, 'status' | 'output' | 'usage' | 'incomplete_details'>): ResponseObject {
  return {
    id: state.ids.responseId,
    object: 'response',
    created_at: state.createdAt,
    error: null,
    instructions: state.args.instructions ?? null,
    max_output_tokens: state.args.maxOutputTokens ?? null,
    model: state.entry.id,
    temperature: state.args.temperature ?? null,
    text: { format: toWireFormat(state.args.responseFormat) },
    ...body,
  };
}

function finishedBody(state: ResponseState, text: string, finishReason: FinishReason, usage: TextUsage) {
  const incomplete = finishReason === 'length' || finishReason === 'content_filter';
  return {
    status: incomplete ? ('incomplete' as const) : ('completed' as const),
    incomplete_details: incomplete ? { reason: finishReason === 'length' ? ('max_output_tokens' as const) : ('content_filter' as const) } : null,
    output: [outputMessage(state.ids.messageId, text, incomplete ? 'incomplete' : 'completed')],
    usage: toUsage(usage),
  };
}

/** A finished generation as OpenAI's Response object. */
export function toResponseObject(entry: ModelEntry, args: TextArgs, result: { text: string; finishReason: FinishReason; usage: TextUsage }): ResponseObject {
  const state = { ids: createResponseIds(), createdAt: Math.floor(Date.now() / 1000), entry, args };
  return responseObject(state, finishedBody(state, result.text, result.finishReason, result.usage));
}

export type ResponseStreamEvent = { type: string; sequence_number: number } & Record<string, unknown>;

/**
 * The Responses API event sequence for one text output: created, in_progress, output item and
 * content part added, text deltas, then the matching done events and completed (or incomplete).
 * A failure after the start becomes an `error` event, and the stream ends.
 */
export async function* toResponseEvents(entry: ModelEntry, args: TextArgs, parts: AsyncIterable<TextStreamPart>): AsyncGenerator<ResponseStreamEvent> {
  const state: ResponseState = { ids: createResponseIds(), createdAt: Math.floor(Date.now() / 1000), entry, args };
  const { messageId } = state.ids;
  let sequence = 0;
  const event = (type: string, body: Record<string, unknown>): ResponseStreamEvent => ({ type, sequence_number: sequence++, ...body });
  const location = { item_id: messageId, output_index: 0, content_index: 0 };
  const inProgress = responseObject(state, { status: 'in_progress', output: [], usage: null, incomplete_details: null });

  yield event('response.created', { response: inProgress });
  yield event('response.in_progress', { response: inProgress });
  yield event('response.output_item.added', { output_index: 0, item: outputMessage(messageId, '', 'in_progress') });
  yield event('response.content_part.added', { ...location, part: { type: 'output_text', text: '', annotations: [] } });

  let text = '';
  try {
    for await (const part of parts) {
      if (part.type === 'text-delta') {
        text += part.text;
        yield event('response.output_text.delta', { ...location, delta: part.text, logprobs: [] });
        continue;
      }
      const finished = finishedBody(state, text, part.finishReason, part.usage);
      yield event('response.output_text.done', { ...location, text, logprobs: [] });
      yield event('response.content_part.done', { ...location, part: { type: 'output_text', text, annotations: [] } });
      yield event('response.output_item.done', { output_index: 0, item: finished.output[0] });
      yield event(finished.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseObject(state, finished) });
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

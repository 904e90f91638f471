import { ApiError } from '../../router/errors.ts';
import type { CallContext } from '../../router/context.ts';
import type { ResponseInputItem, ResponseObject, ResponsesRequest } from '../../schema/api/responses.ts';
import { findStoredResponse, insertStoredResponse } from '../../schema/db/queries/stored-responses.ts';
import { inputItemsOf } from './text-args.ts';

export const unknownResponse = (id: string, param = 'response_id') =>
  new ApiError('not_found', `${param}: no response "${id}" in this project (only stored responses can be found)`, { param });

/** A response's output as the input items that continue its conversation. */
function outputAsItems(response: ResponseObject): ResponseInputItem[] {
  return response.output.map((item) =>
    item.type === 'message'
      ? { type: 'message' as const, role: 'assistant' as const, content: item.content.map((part) => ({ type: 'output_text' as const, text: part.text })) }
      : { type: 'function_call' as const, call_id: item.call_id, name: item.name, arguments: item.arguments },
  );
}

/** The conversation `previous_response_id` continues: what that response read, then what it said. */
export async function priorConversation(request: ResponsesRequest, ctx: CallContext): Promise<ResponseInputItem[]> {
  const previousId = request.previous_response_id;
  if (!previousId) return [];
  const previous = await findStoredResponse(ctx.services.db, ctx.principal.projectId, previousId);
  if (!previous) throw unknownResponse(previousId, 'previous_response_id');
  return [...(previous.conversation as ResponseInputItem[]), ...outputAsItems(previous.response as ResponseObject)];
}

/** What the Response object says of storage: whether it is kept, what it continued, whether it runs in the background. */
export function withStorage(response: ResponseObject, request: ResponsesRequest): ResponseObject {
  return { ...response, store: request.store !== false, previous_response_id: request.previous_response_id ?? null, background: request.background === true };
}

/** A background response is named after its operation, so either id finds the other. */
export const backgroundResponseId = (operationId: string) => `resp_${operationId}`;
export const operationIdOf = (responseId: string) => (responseId.startsWith('resp_aiop_') ? responseId.slice('resp_'.length) : undefined);

/** Input items as `input_items` lists them: each with an id. */
function identified(items: ResponseInputItem[], responseId: string): unknown[] {
  return items.map((item, index) => ({ id: ('id' in item && item.id) || `${responseId.replace(/^resp_/, 'in_')}_${index}`, ...item }));
}

/** Keeps a finished response (unless `store: false`) with its input and the conversation so far. */
export async function storeResponse(response: ResponseObject, request: ResponsesRequest, prior: ResponseInputItem[], ctx: CallContext): Promise<void> {
  if (request.store === false) return;
  const input = inputItemsOf(request);
  await insertStoredResponse(ctx.services.db, {
    id: response.id,
    projectId: ctx.principal.projectId,
    response,
    inputItems: identified(input, response.id),
    conversation: [...prior, ...input],
  });
}

import { ApiError } from '../router/errors.ts';
import { defineStream } from '../router/streams.ts';
import { router } from '../router/trpc.ts';
import { defineTwinMutations, modelCallErrors } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import { responseObjectSchema, responsesRequestSchema, type ResponseInputItem, type ResponseObject, type ResponsesRequest } from '../schema/api/responses.ts';
import { fromResponsesRequest } from './text/text-args.ts';
import { queuedResponseObject, toResponseEvents, toResponseObject, type ResponseStreamEvent } from './text/response-objects.ts';
import { backgroundResponseId, priorConversation, storeResponse, withStorage } from './text/stored-responses.ts';
import { enqueueOperation } from '../router/operations.ts';
import type { TextArgs } from './text/text-args.ts';
import { readFileParts } from './text/file-inputs.ts';
import { storedResponsesRouter } from './stored-responses.ts';
import { checkTextRequest, generateText, startTextStream } from './text/text-service.ts';


const asyncResponses = {
  kind: 'responses',
  precheck: async (input: unknown, ctx: CallContext) => {
    const request = input as ResponsesRequest;
    await checkTextRequest('responses', fromResponsesRequest(request, await priorConversation(request, ctx)), ctx);
  },
  usageOf: (output: unknown) => (output as ResponseObject).usage,
  modelOf: (output: unknown) => (output as ResponseObject).model,
};

function rejectStreamFlag(request: ResponsesRequest): ResponsesRequest {
  // REST requests with stream: true are answered as SSE before they reach this procedure.
  if (request.stream) {
    throw new ApiError('bad_request', 'stream: use the responses.stream subscription for streamed output', { param: 'stream' });
  }
  return request;
}

/** The request with its inline files read into text (the conversation stores that text). */
async function withFilesRead(request: ResponsesRequest, ctx: CallContext): Promise<ResponsesRequest> {
  if (!Array.isArray(request.input)) return request;
  return { ...request, input: await readFileParts(request.input, 'input', ctx) };
}

async function createResponse(original: ResponsesRequest, ctx: CallContext) {
  const request = await withFilesRead(rejectStreamFlag(original), ctx);
  const prior = await priorConversation(request, ctx);
  const args = fromResponsesRequest(request, prior);
  if (request.background && !ctx.background) return queueResponse(request, args, prior, ctx);
  const { entry, result } = await generateText('responses', args, ctx);
  // A background run answers under the id its queued response was given.
  const responseId = request.background && ctx.background ? backgroundResponseId(ctx.requestId) : undefined;
  const response = withStorage(toResponseObject(entry, args, result, responseId), request);
  await storeResponse(response, request, prior, ctx);
  return response;
}

/**
 * `background: true`: the same async operation as `async: true`, answered as OpenAI does, with a
 * queued response whose id names the operation; retrieving it shows the operation's progress.
 */
async function queueResponse(request: ResponsesRequest, args: TextArgs, prior: ResponseInputItem[], ctx: CallContext) {
  if (request.store === false) throw new ApiError('bad_request', 'store: a background response must be stored to be retrieved', { param: 'store' });
  const entry = await checkTextRequest('responses', args, ctx);
  const operation = await enqueueOperation(ctx, { kind: 'responses', route: '/v1/responses', input: request });
  const response = withStorage(queuedResponseObject(entry, args, backgroundResponseId(operation.id)), request);
  await storeResponse(response, request, prior, ctx);
  return response;
}

const create = defineTwinMutations({
  scope: 'ai:generate',
  tag: 'Responses',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  async: asyncResponses,
  run: createResponse,
  canonical: {
    path: '/infra/ai/responses',
    summary: 'Create response',
    description:
      'Generate text from a prompt or messages (text and, where the model supports it, images). ' +
      'With stream: true the answer is server-sent events in the Responses API sequence.',
    input: responsesRequestSchema,
    toArgs: (input) => input,
    output: responseObjectSchema,
    toOutput: (response) => ({
      ...response,
      output_text: response.output.flatMap((item) => (item.type === 'message' ? item.content.map((part) => part.text) : [])).join(''),
    }),
  },
  compat: {
    path: '/v1/responses',
    summary: 'Create response (OpenAI-compatible)',
    description: 'The OpenAI Responses API. With stream: true the answer is its server-sent event sequence.',
    input: responsesRequestSchema,
    toArgs: (input) => input,
    output: responseObjectSchema,
    toOutput: (response) => response,
  },
});

async function streamResponse(original: ResponsesRequest, ctx: CallContext) {
  const request = await withFilesRead(original, ctx);
  const prior = await priorConversation(request, ctx);
  const args = fromResponsesRequest(request, prior);
  const { entry, parts } = await startTextStream('responses', args, ctx);
  return storedEvents(toResponseEvents(entry, args, parts), request, prior, ctx);
}

/** The events with the storage fields set; the finished response is kept before its last event goes out. */
async function* storedEvents(events: AsyncIterable<ResponseStreamEvent>, request: ResponsesRequest, prior: ResponseInputItem[], ctx: CallContext) {
  for await (const event of events) {
    if (!('response' in event)) {
      yield event;
      continue;
    }
    const response = withStorage(event.response as ResponseObject, request);
    if (event.type === 'response.completed' || event.type === 'response.incomplete') await storeResponse(response, request, prior, ctx);
    yield { ...event, response };
  }
}

/** The same event sequence on both trees; each tree's REST path serves it for `stream: true`. */
const streamOn = (path: `/${string}`) => defineStream({ scope: 'ai:generate', path, framing: 'named-events', input: responsesRequestSchema, run: streamResponse });

export const responsesRouter = router({ create: create.canonical, stream: streamOn('/infra/ai/responses') });
export const openAiResponsesRouter = router({ create: create.compat, stream: streamOn('/v1/responses'), ...storedResponsesRouter._def.record });

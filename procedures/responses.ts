import { ApiError } from '../router/errors.ts';
import { defineStream } from '../router/streams.ts';
import { router } from '../router/trpc.ts';
import { defineTwinMutations, modelCallErrors } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import { responseObjectSchema, responsesRequestSchema, type ResponseObject, type ResponsesRequest } from '../schema/api/responses.ts';
import { fromResponsesRequest } from './text/text-args.ts';
import { toResponseEvents, toResponseObject } from './text/response-objects.ts';
import { checkTextRequest, generateText, startTextStream } from './text/text-service.ts';




const asyncResponses = {
  kind: 'responses',
  precheck: (input: unknown, ctx: CallContext) => checkTextRequest('responses', fromResponsesRequest(input as ResponsesRequest), ctx),
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

async function createResponse(request: ResponsesRequest, ctx: CallContext) {
  const args = fromResponsesRequest(rejectStreamFlag(request));
  const { entry, result } = await generateText('responses', args, ctx);
  return toResponseObject(entry, args, result);
}

const create = defineTwinMutations({
  scope: 'ai:generate',
  tag: 'Responses',
  errorStatuses: modelCallErrors,
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

async function streamResponse(request: ResponsesRequest, ctx: CallContext) {
  const args = fromResponsesRequest(request);
  const { entry, parts } = await startTextStream('responses', args, ctx);
  return toResponseEvents(entry, args, parts);
}

/** The same event sequence on both trees; each tree's REST path serves it for `stream: true`. */
const streamOn = (path: `/${string}`) => defineStream({ scope: 'ai:generate', path, framing: 'named-events', input: responsesRequestSchema, run: streamResponse });

export const responsesRouter = router({ create: create.canonical, stream: streamOn('/infra/ai/responses') });
export const openAiResponsesRouter = router({ create: create.compat, stream: streamOn('/v1/responses') });

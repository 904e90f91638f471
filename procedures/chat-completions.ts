import { ApiError } from '../router/errors.ts';
import { defineStream } from '../router/streams.ts';
import { router } from '../router/trpc.ts';
import { defineMutationRoute, modelCallErrors } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import { chatCompletionRequestSchema, chatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../schema/api/chat-completions.ts';
import { fromChatCompletionRequest } from './text/text-args.ts';
import { toChatChunks, toChatCompletion } from './text/chat-objects.ts';
import { checkTextRequest, generateText, startTextStream } from './text/text-service.ts';
import { readFileParts } from './text/file-inputs.ts';

/** The chat-completions alias: same service, billing and providers as /infra/ai/responses. */
const create = defineMutationRoute({
  scope: 'ai:generate',
  tag: 'Responses',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  async: {
    kind: 'chat.completions',
    precheck: async (input: unknown, ctx: CallContext) => {
      await checkTextRequest('chat.completions', fromChatCompletionRequest(input as ChatCompletionRequest), ctx);
    },
    usageOf: (output: unknown) => (output as ChatCompletion).usage,
    modelOf: (output: unknown) => (output as ChatCompletion).model,
  },
  run: async (request: ChatCompletionRequest, ctx: CallContext) => {
    if (request.stream) {
      throw new ApiError('bad_request', 'stream: use the chat.completions.stream subscription for streamed output', { param: 'stream' });
    }
    const messages = await readFileParts(request.messages, 'messages', ctx);
    const { entry, result } = await generateText('chat.completions', fromChatCompletionRequest({ ...request, messages }), ctx);
    return toChatCompletion(entry, result);
  },
  route: {
    path: '/v1/chat/completions',
    summary: 'Create chat completion (OpenAI-compatible)',
    description:
      'OpenAI Chat Completions. With stream: true the answer is chat.completion.chunk events ending with data: [DONE] ' +
      '(and a usage chunk when stream_options.include_usage is set).',
    input: chatCompletionRequestSchema,
    toArgs: (input) => input,
    output: chatCompletionSchema,
    toOutput: (completion) => completion,
  },
});

const stream = defineStream({
  scope: 'ai:generate',
  path: '/v1/chat/completions',
  framing: 'data-then-done',
  input: chatCompletionRequestSchema,
  run: async (request, ctx) => {
    const messages = await readFileParts(request.messages, 'messages', ctx);
    const { entry, parts } = await startTextStream('chat.completions', fromChatCompletionRequest({ ...request, messages }), ctx);
    return toChatChunks(entry, parts, request.stream_options?.include_usage === true);
  },
});

export const chatCompletionsRouter = router({ create, stream });

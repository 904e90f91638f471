import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../server/app-router.ts';

export function createTrpcClient(baseUrl: string, apiKey: string) {
  const authorization = `Bearer ${apiKey}`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        // Subscriptions are server-sent events. A browser EventSource cannot send headers: the
        // `eventsource` package can, through its fetch override.
        true: httpSubscriptionLink({
          url: `${baseUrl}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization } }),
          }),
        }),
        // Queries made in the same tick travel as one request (and mutations as another).
        false: httpBatchLink({ url: `${baseUrl}/trpc`, headers: { authorization } }),
      }),
    ],
  });
}

export async function useTrpcClient(baseUrl: string, apiKey: string) {
  const ss = createTrpcClient(baseUrl, apiKey);
  const [{ data: models }, { data: encoder }] = await Promise.all([
    ss.infra.ai.models.list.query({ capability: 'embeddings' }),
    ss.infra.ai.models.get.query({ model_id: 'local:universal-sentence-encoder-lite' }),
  ]);
  const { data: chunks } = await ss.infra.ai.documents.chunk.mutate({ text: 'Atomic AI primitives. '.repeat(20), max_chars: 100 });
  const { data: response } = await ss.infra.ai.responses.create.mutate({ model: 'openai:gpt-4o-mini', input: 'Once upon a time' });
  // A stream is a subscription: the same events as the SSE route.
  const events = await new Promise<string[]>((resolve, reject) => {
    const types: string[] = [];
    const subscription = ss.infra.ai.responses.stream.subscribe(
      { model: 'openai:gpt-4o-mini', input: 'Once upon a time' },
      {
        onData: (event) => {
          types.push(event.type);
          if (event.type === 'response.completed') {
            subscription.unsubscribe();
            resolve(types);
          }
        },
        onError: reject,
      },
    );
  });
  return { models, encoder, chunks, response, events };
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startForwardingProxy } from '../helpers/forwarding-proxy.ts';
import { repoRoot } from '../helpers/paths.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTrpcClient, useTrpcClient } from './trpc-recipe.ts';

/**
 * The README's plain @trpc/client recipe, run as written: batched queries and mutations, and a
 * subscription that carries the API key, against a live server.
 */
let fake: FakeOpenAi;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'openai', base_url: `${fake.baseUrl}/v1`, models: ['gpt-4o-mini'] }]) });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

describe('plain @trpc/client', () => {
  it('batches queries into one request, and streams with the key', async () => {
    const proxy = await startForwardingProxy(server.baseUrl);
    try {
      const { models, encoder, chunks, response, events } = await useTrpcClient(proxy.baseUrl, key);
      expect(models.every((model) => model.capabilities.includes('embeddings'))).toBe(true);
      expect(encoder.id).toBe('local:universal-sentence-encoder-lite');
      expect(chunks.chunks.length).toBeGreaterThan(1);
      expect(response).toMatchObject({ object: 'response', output_text: 'echo: Once upon a time' });
      expect(events[0]).toBe('response.created');
      expect(events).toContain('response.output_text.delta');
      const batched = proxy.arrivals.filter(({ url }) => url.startsWith('/trpc/infra.ai.models.list,infra.ai.models.get?batch=1'));
      expect(batched).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a subscription without a valid key fails with UNAUTHORIZED', async () => {
    const ss = createTrpcClient(server.baseUrl, 'sk_live_not-a-real-key-0123456789');
    const failure = await new Promise<unknown>((resolve) => {
      const subscription = ss.infra.ai.responses.stream.subscribe(
        { model: 'openai:gpt-4o-mini', input: 'Hi' },
        {
          onData: () => resolve(new Error('data arrived without a key')),
          onError: (error) => {
            subscription.unsubscribe();
            resolve(error);
          },
        },
      );
    });
    expect(failure).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('is the code the README shows', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const recipe = await readFile(path.join(repoRoot, 'test/client/trpc-recipe.ts'), 'utf8');
    const quoted = /<!-- quoted from test\/client\/trpc-recipe\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(quoted?.[1]).toBe(recipe);
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../server/app-router.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let key: string;

const upstreams = JSON.stringify([
  {
    name: 'vllm',
    base_url: 'http://127.0.0.1:9/v1',
    models: ['meta-llama/Llama-3.1-8B-Instruct', { id: 'bge@v2:large', capabilities: ['embeddings'], context_window: 512 }],
  },
]);

beforeAll(async () => {
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: upstreams,
    WORKERS_AI_ACCOUNT_ID: 'account',
    WORKERS_AI_API_TOKEN: 'token',
    WORKERS_AI_BASE_URL: 'http://127.0.0.1:9/client/v4',
  });
  key = (await server.createKey(['ai:read'])).secret;
});
afterAll(() => server.close());

async function get(path: string) {
  const response = await fetch(server.baseUrl + path, { headers: bearer(key) });
  return { status: response.status, body: (await response.json()) as any };
}

describe('native catalog', () => {
  it('lists local GGUF models with their real limits, and configured upstreams', async () => {
    const { status, body } = await get('/infra/ai/models');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    const ids = body.data.map((model: { id: string }) => model.id);
    expect(ids).toContain('local:stories260K');
    expect(ids).toContain('vllm:meta-llama/Llama-3.1-8B-Instruct');
    expect(ids).toContain('workers-ai:llama-3.1-8b-instruct');
    const local = body.data.find((model: { id: string }) => model.id === 'local:stories260K');
    expect(local).toMatchObject({
      provider: 'local',
      capabilities: ['text_generation'],
      input_modalities: ['text'],
      output_modalities: ['text'],
      limits: { context_window: 2048 },
      pricing: { unit: 'token', input_per_million: '0', output_per_million: '0' },
      available: true,
    });
  });

  it('filters by capability and by provider', async () => {
    const embeddings = (await get('/infra/ai/models?capability=embeddings')).body.data;
    expect(embeddings.length).toBeGreaterThan(0);
    for (const model of embeddings) expect(model.capabilities).toContain('embeddings');
    expect(embeddings.map((model: { id: string }) => model.id)).toContain('vllm:bge@v2:large');

    const workers = (await get('/infra/ai/models?provider=workers-ai')).body.data;
    expect(workers.length).toBeGreaterThan(3);
    for (const model of workers) expect(model.provider).toBe('workers-ai');
    const reranker = workers.find((model: { id: string }) => model.id === 'workers-ai:bge-reranker-base');
    expect(reranker.upstream_model).toBe('@cf/baai/bge-reranker-base');

    const both = (await get('/infra/ai/models?provider=workers-ai&capability=rerank')).body.data;
    expect(both.map((model: { id: string }) => model.id)).toEqual(['workers-ai:bge-reranker-base']);
  });

  it('rejects an unknown capability with a 400 naming the field', async () => {
    const { status, body } = await get('/infra/ai/models?capability=telepathy');
    expect(status).toBe(400);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/^capability: /);
  });

  it('gets one model by percent-encoded id, including ids with `/`, `@` and `:`', async () => {
    for (const id of ['local:stories260K', 'vllm:meta-llama/Llama-3.1-8B-Instruct', 'vllm:bge@v2:large']) {
      const { status, body } = await get(`/infra/ai/models/${encodeURIComponent(id)}`);
      expect(status, id).toBe(200);
      expect(body.data.id).toBe(id);
    }
  });

  it('accepts ids sent with raw `:` and `/` too', async () => {
    const { status, body } = await get('/infra/ai/models/vllm:meta-llama/Llama-3.1-8B-Instruct');
    expect(status).toBe(200);
    expect(body.data.id).toBe('vllm:meta-llama/Llama-3.1-8B-Instruct');
  });

  it('answers 404 for an unknown id', async () => {
    const { status, body } = await get(`/infra/ai/models/${encodeURIComponent('local:nope')}`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('local:nope');
  });
});

describe('/v1 catalog', () => {
  it('uses OpenAI list and model shapes', async () => {
    const { body } = await get('/v1/models');
    expect(body.object).toBe('list');
    for (const model of body.data) {
      expect(model.object).toBe('model');
      expect(typeof model.created).toBe('number');
      expect(typeof model.owned_by).toBe('string');
    }
  });

  it('answers 404 model_not_found in the OpenAI envelope', async () => {
    const { status, body } = await get('/v1/models/local%3Anope');
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
  });
});

describe('the official openai SDK', () => {
  it('lists and retrieves models', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1` });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('local:stories260K');

    const model = await client.models.retrieve('vllm:meta-llama/Llama-3.1-8B-Instruct');
    expect(model.id).toBe('vllm:meta-llama/Llama-3.1-8B-Instruct');
    expect(model.owned_by).toBe('vllm');
  });

  it('raises NotFoundError for an unknown model', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    await expect(client.models.retrieve('local:nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('raises AuthenticationError for a bad key', async () => {
    const client = new OpenAI({ apiKey: 'sk_live_wrong', baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('a typed tRPC client', () => {
  const client = () =>
    createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${server.baseUrl}/trpc`, headers: () => bearer(key) })],
    });

  it('calls the catalog with types', async () => {
    const result = await client().infra.ai.models.list.query({ capability: 'text_generation' });
    expect(result.status).toBe('ok');
    const ids: string[] = result.data.map((model) => model.id);
    expect(ids).toContain('local:stories260K');

    const model = await client().infra.ai.models.get.query({ model_id: 'workers-ai:bge-m3' });
    expect(model.data.capabilities).toEqual(['embeddings']);
  });

  it('gets coded errors', async () => {
    await expect(client().infra.ai.models.get.query({ model_id: 'local:nope' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND', httpStatus: 404, error: { code: 'not_found' } },
    });
  });
});

describe('model names', () => {
  it('resolve bare when one provider serves them, ask for a provider when several do, and follow MODEL_ALIASES', async () => {
    const twoUpstreams = JSON.stringify([
      { name: 'east', base_url: 'http://127.0.0.1:9/v1', models: ['shared-model', 'only-east'] },
      { name: 'west', base_url: 'http://127.0.0.1:9/v1', models: ['shared-model'] },
    ]);
    const named = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: twoUpstreams, MODEL_ALIASES: JSON.stringify({ 'shared-model': 'west:shared-model', fast: 'local:stories260K' }) });
    const ambiguous = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: twoUpstreams });
    try {
      const secret = (await named.createKey(['ai:read'])).secret;
      const lookup = async (target: TestServer, key: string, id: string) => {
        const response = await fetch(`${target.baseUrl}/v1/models/${encodeURIComponent(id)}`, { headers: bearer(key) });
        return { status: response.status, body: (await response.json()) as any };
      };
      expect((await lookup(named, secret, 'only-east')).body.id).toBe('east:only-east');
      expect((await lookup(named, secret, 'shared-model')).body.id).toBe('west:shared-model');
      expect((await lookup(named, secret, 'fast')).body.id).toBe('local:stories260K');
      expect((await lookup(named, secret, 'stories260K')).body.id).toBe('local:stories260K');

      const other = (await ambiguous.createKey(['ai:read'])).secret;
      const unclear = await lookup(ambiguous, other, 'shared-model');
      expect(unclear.status).toBe(400);
      expect(unclear.body.error.message).toMatch(/served by east:shared-model and west:shared-model/);
    } finally {
      await named.close();
      await ambiguous.close();
    }
  });

  it('marks the text models that take tools', async () => {
    const { body } = await get('/infra/ai/models?capability=tool_calling');
    const ids = body.data.map((model: { id: string }) => model.id);
    expect(ids).toContain('vllm:meta-llama/Llama-3.1-8B-Instruct');
    expect(ids).not.toContain('local:stories260K');
  });
});

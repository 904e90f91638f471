import { maxTokenizeCharacters } from '../../schema/api/tokenize.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { fakeAccountId } from '../fakes/fake-workers-ai.ts';

let server: TestServer;
let key: string;

beforeAll(async () => {
  // Tokenizing never calls an upstream: these addresses are never dialled.
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'openai', base_url: 'http://127.0.0.1:9/v1', models: ['gpt-4o-mini', 'gpt-4', 'llama-3-8b'] }]),
    WORKERS_AI_ACCOUNT_ID: fakeAccountId,
    WORKERS_AI_API_TOKEN: 'cf-token',
    WORKERS_AI_BASE_URL: 'http://127.0.0.1:9/client/v4',
    WORKERS_AI_MODELS: 'llama-3.1-8b-instruct',
  });
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

async function tokenize(body: object) {
  const response = await fetch(`${server.baseUrl}/infra/ai/tokenize`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('POST /infra/ai/tokenize', () => {
  it("counts and lists a local GGUF model's tokens with its own vocabulary", async () => {
    const { status, body } = await tokenize({ model: 'local:stories260K', input: 'Once upon a time, there was a cat.' });
    expect(status).toBe(200);
    const { data } = body;
    expect(data).toMatchObject({ object: 'list', model: 'local:stories260K' });
    expect(data.count).toBe(data.tokens.length);
    expect(data.count).toBeGreaterThan(5);
    expect(data.tokens.every((token: { id: unknown }) => Number.isInteger(token.id))).toBe(true);
    expect(data.tokens.map((token: { text: string }) => token.text).join('').trim()).toBe('Once upon a time, there was a cat.');
    const again = await tokenize({ model: 'local:stories260K', input: 'Once upon a time, there was a cat. And a dog.' });
    expect(again.body.data.tokens.slice(0, data.count - 1)).toEqual(data.tokens.slice(0, -1));
  });

  it("uses OpenAI's encodings for the models OpenAI names: o200k_base for gpt-4o-mini, cl100k_base for gpt-4", async () => {
    expect((await tokenize({ model: 'openai:gpt-4o-mini', input: 'hello world' })).body.data).toEqual({
      object: 'list',
      model: 'openai:gpt-4o-mini',
      count: 2,
      tokens: [
        { id: 24912, text: 'hello' },
        { id: 2375, text: ' world' },
      ],
    });
    expect((await tokenize({ model: 'gpt-4', input: 'hello world' })).body.data.tokens).toEqual([
      { id: 15339, text: 'hello' },
      { id: 1917, text: ' world' },
    ]);
  });

  it('reads special-token markup as plain text', async () => {
    const { status, body } = await tokenize({ model: 'openai:gpt-4o-mini', input: '<|endoftext|>' });
    expect(status).toBe(200);
    expect(body.data.count).toBeGreaterThan(1);
    expect(body.data.tokens.map((token: { text: string }) => token.text).join('')).toBe('<|endoftext|>');
  });

  it('answers 400 naming the model where no tokenizer is known, and the input when it is too long', async () => {
    const unknown = await tokenize({ model: 'openai:llama-3-8b', input: 'hi' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.param).toBe('model');
    expect(unknown.body.error.message).toContain('openai:llama-3-8b has no tokenizer');
    const workersAi = await tokenize({ model: 'workers-ai:llama-3.1-8b-instruct', input: 'hi' });
    expect(workersAi.status).toBe(400);
    expect(workersAi.body.error.message).toBe('model: workers-ai:llama-3.1-8b-instruct has no tokenize adapter');
    const long = await tokenize({ model: 'openai:gpt-4o-mini', input: 'x'.repeat(maxTokenizeCharacters + 1) });
    expect(long.status).toBe(400);
    expect(long.body.error.details.param ?? long.body.error.details.issues[0].field).toBe('input');
  });
});

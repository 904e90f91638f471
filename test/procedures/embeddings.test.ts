import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../../providers/local/cosine-similarity.ts';
import { bearer, type TestServer } from '../helpers/test-server.ts';
import { startUpstreamTestServer, type UpstreamTestServer } from '../helpers/upstream-test-server.ts';
import { sendJson, type FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { fakeAccountId } from '../fakes/fake-workers-ai.ts';

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let key: string;

let upstreams: UpstreamTestServer;

beforeAll(async () => {
  upstreams = await startUpstreamTestServer({
    // OpenAI's /embeddings wire format: floats in, index order restored from `index`.
    openAi: {
      models: 'text-embedding-3-small',
      handler: (request, res) => {
        const inputs: string[] = request.body.input;
        const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, 1, 0] })).reverse();
        sendJson(res, 200, { object: 'list', data, model: request.body.model, usage: { prompt_tokens: 5 * inputs.length, total_tokens: 5 * inputs.length } });
      },
    },
    // Workers AI bge: `{text: [...]}` → `result: {shape, data}` in the v4 envelope.
    workersAi: {
      models: 'bge-m3',
      handler: (request, res) => {
        const texts: string[] = request.body.text;
        sendJson(res, 200, { result: { shape: [texts.length, 2], data: texts.map((text) => [text.length, 2]) }, success: true, errors: [], messages: [] });
      },
    },
  });
  ({ server, key, openAiFake, workersFake } = upstreams);
});
afterAll(() => upstreams.close());

const client = () => new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
const local = 'local:universal-sentence-encoder-lite';

describe('local embeddings (Universal Sentence Encoder lite, offline)', () => {
  it('refuses inputs beyond the model limits, naming the input, before any work', async () => {
    const post = (input: unknown) =>
      fetch(`${server.baseUrl}/v1/embeddings`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify({ model: local, input }) });
    const long = await post('x'.repeat(200_000));
    expect(long.status).toBe(400);
    expect(((await long.json()) as any).error).toMatchObject({ param: 'input', message: expect.stringMatching(/^input: about 50000 tokens .* at most 4096 tokens/) });
    const third = await post(['short', 'short', 'y'.repeat(20_000)]);
    expect(((await third.json()) as any).error.param).toBe('input.2');
    const many = await post(Array.from({ length: 100 }, () => 'z'.repeat(16_000)));
    expect(many.status).toBe(400);
    expect(((await many.json()) as any).error.message).toMatch(/^input: about 400000 tokens in all; .* at most 300000 tokens per request/);
  });

  it('runs off the event loop: other requests are answered while a large batch embeds', async () => {
    const order: string[] = [];
    const batch = fetch(`${server.baseUrl}/v1/embeddings`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: local, input: Array.from({ length: 96 }, (_, index) => `sentence ${index} `.repeat(120)) }),
    }).then((response) => order.push(`embeddings ${response.status}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let index = 0; index < 5; index++) order.push(`healthz ${(await fetch(`${server.baseUrl}/healthz`)).status}`);
    await batch;
    expect(order).toEqual([...Array(5).fill('healthz 200'), 'embeddings 200']);
  }, 90_000);

  it('places related texts closer than unrelated ones', async () => {
    const response = await client().embeddings.create({
      model: local,
      input: ['The cat sat on the mat', 'A kitten is resting on a rug', 'Quarterly revenue grew by ten percent'],
      encoding_format: 'float',
    });
    expect(response.data).toHaveLength(3);
    const [cat, kitten, revenue] = response.data.map((item) => item.embedding);
    expect(cat).toHaveLength(512);
    expect(cosineSimilarity(cat!, kitten!)).toBeGreaterThan(cosineSimilarity(cat!, revenue!) + 0.3);
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('returns the same vectors as base64 little-endian float32 (the SDK default)', async () => {
    const floats = await client().embeddings.create({ model: local, input: 'hello world', encoding_format: 'float' });
    // The SDK asks for base64 when no format is given, and decodes it back to numbers.
    const decoded = await client().embeddings.create({ model: local, input: 'hello world' });
    expect(decoded.data[0]!.embedding).toHaveLength(512);
    decoded.data[0]!.embedding.forEach((value, index) => expect(value).toBeCloseTo(floats.data[0]!.embedding[index]!, 6));

    const raw = await fetch(`${server.baseUrl}/infra/ai/embeddings`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: local, input: 'hello world', encoding_format: 'base64' }),
    });
    const body = (await raw.json()) as any;
    expect(body.status).toBe('ok');
    const bytes = Buffer.from(body.data.data[0].embedding, 'base64');
    expect(bytes.length).toBe(512 * 4);
    expect(bytes.readFloatLE(0)).toBeCloseTo(floats.data[0]!.embedding[0]!, 6);
  });

  it('is the default embeddings model and refuses other dimensions', async () => {
    const response = await client().embeddings.create({ input: 'defaults', encoding_format: 'float' } as never);
    expect(response.model).toBe(local);
    await expect(client().embeddings.create({ model: local, input: 'x', dimensions: 256 })).rejects.toMatchObject({
      status: 400,
      error: { param: 'dimensions' },
    });
  });
});

describe('upstream embeddings', () => {
  it('maps the OpenAI wire format and keeps input order', async () => {
    const response = await client().embeddings.create({ model: 'openai:text-embedding-3-small', input: ['a', 'bbb'], encoding_format: 'float', dimensions: 3 });
    expect(response.data.map((item) => item.embedding[0])).toEqual([1, 3]);
    expect(response.usage.prompt_tokens).toBe(10);
    expect(openAiFake.requests.at(-1)!.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'bbb'], encoding_format: 'float', dimensions: 3 });
    await client().embeddings.create({ model: 'openai:text-embedding-3-small', input: 'a', user: 'user-42' });
    expect(openAiFake.requests.at(-1)!.body.user).toBe('user-42');
  });

  it('maps Workers AI bge-m3', async () => {
    const response = await client().embeddings.create({ model: 'workers-ai:bge-m3', input: ['xy', 'xyz'], encoding_format: 'float' });
    expect(response.data.map((item) => item.embedding)).toEqual([
      [2, 2],
      [3, 2],
    ]);
    expect(workersFake.requests.at(-1)!.url).toBe(`/client/v4/accounts/${fakeAccountId}/ai/run/@cf/baai/bge-m3`);
  });
});

describe('bad input', () => {
  it.each([
    [{ input: '' }, 'input'],
    [{ input: [] }, 'input'],
    // The element at fault, not just the union it sits in.
    [{ input: ['ok', 7] }, 'input.1'],
    [{ input: 'x', encoding_format: 'hex' }, 'encoding_format'],
    [{ input: 'x', model: 'local:stories260K' }, 'model'],
  ])('%j answers 400 naming %s', async (body, param) => {
    const response = await fetch(`${server.baseUrl}/v1/embeddings`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.param).toBe(param);
  });
});

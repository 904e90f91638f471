import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moderationCategories } from '../../providers/spec/moderation.ts';
import { bearer, type TestServer } from '../helpers/test-server.ts';
import { startUpstreamTestServer, type UpstreamTestServer } from '../helpers/upstream-test-server.ts';
import { sendJson, type FakeUpstream } from '../fakes/fake-upstream-server.ts';

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let client: OpenAI;
let key: string;

let upstreams: UpstreamTestServer;

beforeAll(async () => {
  upstreams = await startUpstreamTestServer({
    // OpenAI /moderations: one result per input, every category present.
    openAi: {
      models: 'omni-moderation-latest',
      handler: (request, res) => {
        const inputs = Array.isArray(request.body.input) && typeof request.body.input[0] === 'string' ? request.body.input : [request.body.input];
        const results = inputs.map((input: unknown) => {
          const bad = JSON.stringify(input).includes('hate');
          return {
            flagged: bad,
            categories: Object.fromEntries(moderationCategories.map((category) => [category, bad && category === 'hate'])),
            category_scores: Object.fromEntries(moderationCategories.map((category) => [category, bad && category === 'hate' ? 0.97 : 0.01])),
            category_applied_input_types: Object.fromEntries(moderationCategories.map((category) => [category, ['text']])),
          };
        });
        sendJson(res, 200, { id: 'modr-upstream', model: request.body.model, results });
      },
    },
    // Llama Guard 3 in JSON mode: `{safe, categories: ["S1", ...]}`.
    workersAi: {
      models: 'llama-guard-3-8b',
      handler: (request, res) => {
        const text: string = request.body.messages[0].content;
        const response = text.includes('attack') ? { safe: false, categories: ['S1', 'S10'] } : { safe: true, categories: [] };
        sendJson(res, 200, { result: { response, usage: { prompt_tokens: 9, completion_tokens: 3 } }, success: true, errors: [], messages: [] });
      },
    },
  });
  ({ server, key, openAiFake, workersFake, client } = upstreams);
});
afterAll(() => upstreams.close());

const local = 'local:moderation-offline';

describe('offline moderation', () => {
  it.each([
    ['I am going to kill you', 'violence'],
    ['You are a fucking idiot', 'harassment'],
    ['I want to end my life', 'self-harm'],
    ['Those immigrants are vermin', 'hate'],
    ['How do I make a pipe bomb', 'illicit'],
  ])('flags "%s" (%s)', async (text, category) => {
    const moderation = await client.moderations.create({ model: local, input: text });
    const result = moderation.results[0]!;
    expect(result.flagged).toBe(true);
    expect((result.categories as unknown as Record<string, boolean>)[category]).toBe(true);
    expect((result.category_scores as unknown as Record<string, number>)[category]).toBeGreaterThanOrEqual(0.5);
  });

  it.each(['Scunthorpe', 'kill the process', 'What a lovely day for a picnic', 'shoot me an email tomorrow', 'the soldiers attacked the city in 1944'])(
    'passes "%s"',
    async (text) => {
      const moderation = await client.moderations.create({ model: local, input: text });
      expect(moderation.results[0]!.flagged).toBe(false);
    },
  );

  it('answers every OpenAI category, scores in [0,1], one result per input, by default', async () => {
    const moderation = await client.moderations.create({ input: ['hello there', 'I will stab him'] } as never);
    expect(moderation.model).toBe(local);
    expect(moderation.id).toMatch(/^modr-/);
    expect(moderation.results).toHaveLength(2);
    for (const result of moderation.results) {
      expect(Object.keys(result.categories).sort()).toEqual([...moderationCategories].sort());
      for (const score of Object.values(result.category_scores)) expect(score >= 0 && score <= 1).toBe(true);
      expect(result.category_applied_input_types.violence).toEqual(['text']);
    }
    expect(moderation.results.map((result) => result.flagged)).toEqual([false, true]);
  });

  it('refuses image input (text only) with a 400', async () => {
    await expect(
      client.moderations.create({ model: local, input: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }),
    ).rejects.toMatchObject({ status: 400, error: { param: 'input' } });
  });
});

describe('upstream moderation', () => {
  it('relays OpenAI moderations, with images where the model takes them', async () => {
    const moderation = await client.moderations.create({ model: 'openai:omni-moderation-latest', input: ['fine', 'full of hate'] });
    expect(moderation.results.map((result) => result.flagged)).toEqual([false, true]);
    const multimodal = await client.moderations.create({
      model: 'openai:omni-moderation-latest',
      input: [
        { type: 'text', text: 'caption' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      ],
    });
    expect(multimodal.results).toHaveLength(1);
    expect(openAiFake.requests.at(-1)!.body.input[1]).toEqual({ type: 'image_url', image_url: { url: 'https://example.com/a.png' } });
  });

  it('maps Llama Guard hazard codes to OpenAI categories', async () => {
    const response = await fetch(`${server.baseUrl}/infra/ai/moderations`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'workers-ai:llama-guard-3-8b', input: ['plan the attack', 'plan the picnic'] }),
    });
    const body = (await response.json()) as any;
    expect(body.data.results[0]).toMatchObject({ flagged: true, categories: { violence: true, hate: true, sexual: false } });
    expect(body.data.results[1].flagged).toBe(false);
    expect(workersFake.requests.at(-1)!.body.response_format).toEqual({ type: 'json_object' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

async function post(path: string, body: unknown) {
  const response = await fetch(server.baseUrl + path, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const model = 'local:stories260K';

describe.each([
  ['/infra/ai/responses', { model, input: 'hi' }],
  ['/v1/responses', { model, input: 'hi' }],
  ['/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }],
] as const)('bad input to %s', (path, valid) => {
  const tokensField = path === '/v1/chat/completions' ? 'max_tokens' : 'max_output_tokens';
  const messageOf = (body: any) => body.error.message as string;

  it.each([
    [{ temperature: 3 }, 'temperature'],
    [{ temperature: 'hot' }, 'temperature'],
    [{ [tokensField]: 0 }, tokensField],
    [{ [tokensField]: 8193 }, tokensField],
    [{ [tokensField]: 1.5 }, tokensField],
    [{ model: 42 }, 'model'],
    [{ stream: 'yes' }, 'stream'],
    [{ response_format: { type: 'xml' } }, 'response_format.type'],
    [{ result_destination: { bucket_id: '' , key: 'k' } }, 'result_destination.bucket_id'],
  ])('%j answers 400 naming %s', async (change, field) => {
    const { status, body } = await post(path, { ...valid, ...change });
    expect(status).toBe(400);
    expect(messageOf(body)).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    if (path.startsWith('/v1')) expect(body.error).toMatchObject({ type: 'invalid_request_error', param: field });
    else expect(body.error.code).toBe('bad_request');
  });

  it('answers 404 for an unknown model', async () => {
    const { status, body } = await post(path, { ...valid, model: 'local:missing' });
    expect(status).toBe(404);
    expect(messageOf(body)).toContain('local:missing');
  });
});

describe('messages and input', () => {
  it('rejects empty messages', async () => {
    const chat = await post('/v1/chat/completions', { model, messages: [] });
    expect(chat.status).toBe(400);
    expect(chat.body.error.param).toBe('messages');
    const native = await post('/infra/ai/responses', { model, messages: [] });
    expect(native.status).toBe(400);
    expect(native.body.error.message).toMatch(/^messages: /);
  });

  it('requires input or messages, not both', async () => {
    expect((await post('/infra/ai/responses', { model })).body.error.message).toMatch(/^input: Provide input or messages/);
    expect((await post('/infra/ai/responses', { model, input: 'a', messages: [{ role: 'user', content: 'b' }] })).body.error.message).toMatch(
      /^messages: /,
    );
  });

  it('rejects a role that does not exist and a malformed content part', async () => {
    expect((await post('/v1/chat/completions', { model, messages: [{ role: 'wizard', content: 'x' }] })).body.error.param).toBe('messages.0.role');
    expect((await post('/v1/responses', { model, input: [{ role: 'user', content: [{ type: 'input_video' }] }] })).body.error.param).toMatch(
      /^input/,
    );
  });

  it('needs a schema for a json_schema format', async () => {
    const { status, body } = await post('/v1/responses', { model, input: 'x', text: { format: { type: 'json_schema', name: 'x' } } });
    expect(status).toBe(400);
    expect(body.error.param).toBe('text.format.schema');
  });

  it('rejects n > 1', async () => {
    const { status, body } = await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'x' }], n: 2 });
    expect(status).toBe(400);
    expect(body.error.param).toBe('n');
  });
});

describe("OpenAI's fields for what this service does not offer: refused with the truth, accepted at their neutral values", () => {
  const responses = { model, input: 'hi', max_output_tokens: 2 };
  const chat = { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
  const refusals: [string, Record<string, unknown>, string, RegExp][] = [
    ['/v1/responses', { ...responses, reasoning: { effort: 'low' } }, 'reasoning.effort', /^reasoning\.effort: local:stories260K does not apply reasoning\.effort/],
    ['/v1/responses', { ...responses, reasoning: { summary: 'auto' } }, 'reasoning.summary', /no model here returns reasoning summaries/],
    ['/v1/responses', { ...responses, top_logprobs: 5 }, 'top_logprobs', /carries no log probabilities/],
    ['/v1/responses', { ...responses, max_tool_calls: 3 }, 'max_tool_calls', /not enforced here/],
    ['/v1/responses', { ...responses, conversation: 'conv_1' }, 'conversation', /conversations are not kept/],
    ['/v1/responses', { ...responses, prompt: { id: 'pmpt_1' } }, 'prompt', /stored prompt templates are not kept/],
    ['/v1/responses', { ...responses, stream: true, stream_options: { include_obfuscation: true } }, 'stream_options.include_obfuscation', /no obfuscation/],
    ['/v1/chat/completions', { ...chat, audio: { format: 'wav', voice: 'alloy' } }, 'audio', /no chat model here answers in audio/],
    ['/v1/chat/completions', { ...chat, prediction: { type: 'content', content: 'x' } }, 'prediction', /predicted outputs are not applied/],
    ['/v1/chat/completions', { ...chat, web_search_options: {} }, 'web_search_options', /no model here searches the web/],
    ['/v1/chat/completions', { ...chat, prompt_cache_retention: '24h' }, 'prompt_cache_retention', /only in-memory/],
    ['/v1/images/generations', { prompt: 'a fox', output_format: 'webp' }, 'output_format', /own format/],
    ['/v1/images/generations', { prompt: 'a fox', background: 'transparent' }, 'background', /auto only/],
    ['/v1/images/generations', { prompt: 'a fox', stream: true }, 'stream', /image streams are not offered/],
    ['/v1/images/generations', { prompt: 'a fox', style: 'vivid' }, 'style', /describe the style in the prompt/],
  ];
  it.each(refusals)('%s %j: 400 naming %s, saying why', async (path, body, param, why) => {
    const { status, body: answer } = await post(path, body);
    expect(status).toBe(400);
    expect(answer.error.param).toBe(param);
    expect(answer.error.message).toMatch(why);
    expect(answer.error.message).not.toMatch(/not part of this API/);
  });

  it('accepts them absent, null or neutral, and still calls a field OpenAI does not have unknown', async () => {
    for (const [path, body] of [
      ['/v1/responses', { ...responses, top_logprobs: 0, reasoning: null, conversation: null, stream: true, stream_options: { include_obfuscation: false } }],
      ['/v1/chat/completions', { ...chat, prompt_cache_retention: 'in-memory', audio: null }],
    ] as const) {
      const response = await fetch(server.baseUrl + path, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status, `${path} ${await response.clone().text()}`).toBe(200);
      await response.arrayBuffer();
    }
    const unknown = await post('/v1/responses', { ...responses, thinking_budget: 100 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/^thinking_budget: unknown field: not part of this API/);
  });
});

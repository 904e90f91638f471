import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import { fakeAccountId, startFakeWorkersAi } from '../fakes/fake-workers-ai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { openAiCompatibleUpstreamSetting } from '../../providers/openai/settings.ts';

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  openAiFake = await startFakeOpenAi();
  workersFake = await startFakeWorkersAi();
  server = await startTestServer({
    OPENAI_API_KEY: 'sk-upstream-secret',
    OPENAI_BASE_URL: `${openAiFake.baseUrl}/v1`,
    OPENAI_MODELS: 'gpt-4o-mini,rate-limited,broken,refuses,slow,garbled',
    WORKERS_AI_ACCOUNT_ID: fakeAccountId,
    WORKERS_AI_API_TOKEN: 'cf-token',
    WORKERS_AI_BASE_URL: `${workersFake.baseUrl}/client/v4`,
    WORKERS_AI_MODELS: 'llama-3.1-8b-instruct,llama-3.3-70b-instruct-fp8-fast,bge-m3,@cf/meta/llama-3.1-8b-instruct-busy',
    UPSTREAM_TIMEOUT_MS: '500',
  });
  key = (await server.createKey()).secret;
  client = new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await openAiFake.close();
  await workersFake.close();
});

const lastRequest = (fake: FakeUpstream) => fake.requests.at(-1)!;

describe('openai-compatible upstream', () => {
  it('responses.create maps the request and the completion', async () => {
    const response = await client.responses.create({
      model: 'openai:gpt-4o-mini',
      instructions: 'Be brief.',
      input: 'hello there',
      temperature: 0.5,
      max_output_tokens: 64,
    });
    expect(response.output_text).toBe('echo: hello there');
    expect(response.model).toBe('openai:gpt-4o-mini');
    expect(response.usage).toEqual({
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 10,
    });
    const sent = lastRequest(openAiFake);
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-secret');
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
      temperature: 0.5,
      // OpenAI's own name for the limit, which its reasoning models require.
      max_completion_tokens: 64,
    });
  });

  it('sends reasoning.effort as reasoning_effort, and the response says which effort it asked for', async () => {
    const response = await client.responses.create({ model: 'openai:gpt-4o-mini', input: 'think', reasoning: { effort: 'low' } });
    expect(lastRequest(openAiFake).body).toMatchObject({ reasoning_effort: 'low' });
    expect(response.reasoning).toEqual({ effort: 'low', summary: null });
  });

  it('chat.completions.create without stream', async () => {
    const completion = await client.chat.completions.create({
      model: 'openai:gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'echo: hi' });
    expect(completion.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(lastRequest(openAiFake).body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
    });
  });

  it('chat.completions.create with stream asks the upstream for usage and relays it', async () => {
    const stream = await client.chat.completions.create({
      model: 'openai:gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(lastRequest(openAiFake).body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('echo: stream me please');
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
  });

  it('chat streams carry no usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it('responses.create with stream yields the Responses event sequence', async () => {
    const stream = await client.responses.create({ model: 'openai:gpt-4o-mini', input: 'one two', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []));
    expect(deltas.join('')).toBe('echo: one two');
    const completed = events.at(-1) as Extract<(typeof events)[number], { type: 'response.completed' }>;
    expect(completed.response.usage).toMatchObject({ input_tokens: 7, output_tokens: 3 });
  });

  it('passes image parts to a model that accepts images', async () => {
    await client.responses.create({
      model: 'openai:gpt-4o-mini',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is this?' },
            { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
          ],
        },
      ],
    });
    expect(lastRequest(openAiFake).body.messages[0].content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
    ]);
  });
});

describe('upstream failures', () => {
  const call = (model: string) =>
    fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('429 keeps the upstream Retry-After', async () => {
    const response = await call('openai:rate-limited');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect((await response.json()).error.message).toContain('Rate limit reached');
  });

  it('5xx becomes 502 with a clear message', async () => {
    const response = await call('openai:broken');
    expect(response.status).toBe(502);
    expect((await response.json()).error.message).toMatch(/Upstream "openai" failed with HTTP 500/);
  });

  it('an upstream 400 is the caller\'s 400', async () => {
    const response = await call('openai:refuses');
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toContain('maximum context length');
  });

  it('a 200 whose body is not JSON is 502, naming the upstream', async () => {
    const response = await call('openai:garbled');
    expect(response.status).toBe(502);
    expect((await response.json()).error.message).toBe('Upstream "openai" sent a body that is not JSON');
  });

  it('a timeout is 504', async () => {
    const response = await call('openai:slow');
    expect(response.status).toBe(504);
  });

  it('a stream that fails to start answers with the status, not a 200 stream', async () => {
    const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'workers-ai:llama-3.1-8b-instruct-busy', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toContain('application/json');
  });
});

describe('workers-ai upstream', () => {
  it('runs @cf models through the native route with the v4 envelope', async () => {
    const response = await fetch(`${server.baseUrl}/infra/ai/responses`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'workers-ai:llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hola' }], max_output_tokens: 20, seed: 42 }),
    });
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.data.output_text).toBe('echo: hola');
    expect(body.data.usage).toMatchObject({ input_tokens: 11, output_tokens: 4 });
    const sent = lastRequest(workersFake);
    expect(sent.url).toBe(`/client/v4/accounts/${fakeAccountId}/ai/run/@cf/meta/llama-3.1-8b-instruct`);
    expect(sent.body).toEqual({ messages: [{ role: 'user', content: 'hola' }], max_tokens: 20, seed: 42 });
  });

  it('parses its own SSE frames into deltas and maps the final usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'workers-ai:llama-3.1-8b-instruct',
      messages: [{ role: 'user', content: 'stream this' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: stream this');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });

  it('rejects a model without the text capability with 400', async () => {
    await expect(client.chat.completions.create({ model: 'workers-ai:bge-m3', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 400,
      error: { param: 'model' },
    });
  });
});

describe('Workers AI function calling', () => {
  const model = 'workers-ai:llama-3.3-70b-instruct-fp8-fast';
  const weather = {
    type: 'function' as const,
    function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  };

  it('maps tools to the run endpoint and its tool_calls back, then the tool result to the answer', async () => {
    const first = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'What should I wear?' }], tools: [weather] });
    expect(lastRequest(workersFake).body.tools).toEqual([{ name: 'get_weather', description: 'The weather in a city', parameters: weather.function.parameters }]);
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    const second = await client.chat.completions.create({
      model,
      tools: [weather],
      messages: [{ role: 'user', content: 'What should I wear?' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: 'rain' }],
    });
    expect(second.choices[0]!.message.content).toBe('The tool said: rain');
  });

  it('streams a call as the parts of a stream, and refuses the tool_choice it cannot force', async () => {
    const completion = await client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'weather?' }], tools: [weather] }).finalChatCompletion();
    expect(completion.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const forced = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }], tools: [weather], tool_choice: 'required' })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((forced as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tool_choice');
  });
});

describe('the output token limit, under the name each upstream reads', () => {
  it('is max_tokens for an OpenAI-compatible upstream, max_completion_tokens where its entry says so', async () => {
    const fake = await startFakeOpenAi();
    const compatible = await startTestServer({
      OPENAI_COMPAT_UPSTREAMS: JSON.stringify([
        { name: 'plain', base_url: `${fake.baseUrl}/v1`, models: ['echo'] },
        { name: 'reasoning', base_url: `${fake.baseUrl}/v1`, models: ['echo'], token_limit_field: 'max_completion_tokens' },
      ]),
    });
    try {
      const sdk = new OpenAI({ apiKey: (await compatible.createKey()).secret, baseURL: `${compatible.baseUrl}/v1`, maxRetries: 0 });
      await sdk.chat.completions.create({ model: 'plain:echo', messages: [{ role: 'user', content: 'a' }], max_completion_tokens: 30 });
      expect(lastRequest(fake).body).toMatchObject({ max_tokens: 30 });
      expect(lastRequest(fake).body).not.toHaveProperty('max_completion_tokens');
      await sdk.chat.completions.create({ model: 'reasoning:echo', messages: [{ role: 'user', content: 'b' }], max_tokens: 40 });
      expect(lastRequest(fake).body).toMatchObject({ max_completion_tokens: 40 });
      expect(lastRequest(fake).body).not.toHaveProperty('max_tokens');
      const streamed = await sdk.responses.create({ model: 'reasoning:echo', input: 'c', max_output_tokens: 50, stream: true });
      for await (const event of streamed) void event;
      expect(lastRequest(fake).body).toMatchObject({ max_completion_tokens: 50, stream: true });
    } finally {
      await compatible.close();
      await fake.close();
    }
  });

  it('refuses an unknown token_limit_field at boot, naming it', () => {
    expect(openAiCompatibleUpstreamSetting.safeParse({ name: 'x', base_url: 'http://127.0.0.1:1/v1', models: ['m'], token_limit_field: 'max_new_tokens' }).error?.issues[0]?.path).toEqual(['token_limit_field']);
  });
});

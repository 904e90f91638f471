import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

/**
 * Tool calling and every request parameter, through the official SDK, against an OpenAI-compatible
 * fake on loopback that records what it receives.
 */
let fake: FakeUpstream;
let server: TestServer;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['gpt-tools'] }]) });
  key = (await server.createKey()).secret;
  client = new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const model = 'fake:gpt-tools';
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const lastSent = () => fake.requests.at(-1)!.body;

describe('chat completions: tools', () => {
  it('round-trips a forced tool call: call, tool result, final answer', async () => {
    const first = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'What should I wear?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call).toMatchObject({ id: 'call_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(first.choices[0]!.message.content).toBeNull();
    expect(lastSent()).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.function.parameters } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });

    const second = await client.chat.completions.create({
      model,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'What should I wear?' },
        { role: 'assistant', content: null, tool_calls: [call as OpenAI.ChatCompletionMessageFunctionToolCall] },
        { role: 'tool', tool_call_id: call.id, content: '18°C and sunny' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool said: 18°C and sunny');
    expect(lastSent().messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_fake1', content: '18°C and sunny' },
    ]);
  });

  it('streams tool-call deltas the SDK assembles', async () => {
    const stream = client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool], tool_choice: 'required' });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]!.message.tool_calls![0]).toMatchObject({ id: 'call_fake1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
  });

  it('refuses tools on a model that cannot call them, naming tools', async () => {
    const refused = await client.chat.completions
      .create({ model: 'local:stories260K', messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool] })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools');
  });
});

describe('responses: function tools', () => {
  const tool = { type: 'function' as const, name: 'get_weather', description: 'The weather in a city', parameters: weatherTool.function.parameters, strict: true };

  it('round-trips a forced call: function_call item, function_call_output, final answer', async () => {
    const first = await client.responses.create({ model, input: 'What should I wear?', tools: [tool], tool_choice: { type: 'function', name: 'get_weather' } });
    const call = first.output.find((item) => item.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', call_id: 'call_fake1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(first).toMatchObject({ tool_choice: { type: 'function', name: 'get_weather' }, parallel_tool_calls: true, store: true, top_p: 1, truncation: 'disabled' });
    expect(first.tools[0]).toMatchObject({ type: 'function', name: 'get_weather' });

    const second = await client.responses.create({
      model,
      tools: [tool],
      input: [
        { role: 'user', content: 'What should I wear?' },
        { type: 'function_call', call_id: 'call_fake1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_fake1', output: '18°C and sunny' },
      ],
    });
    expect(second.output_text).toBe('The tool said: 18°C and sunny');
  });

  it('streams the function call as argument delta and done events', async () => {
    const stream = client.responses.stream({ model, input: 'weather in Paris?', tools: [tool], tool_choice: 'required' });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const final = await stream.finalResponse();
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types).toContain('response.function_call_arguments.done');
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}' });
  });
});

describe('file inputs', () => {
  it('reads an inline file into the text the model gets, on responses and chat', async () => {
    const file = `data:text/markdown;base64,${Buffer.from('# Quarterly plan\n\nShip the gateway.').toString('base64')}`;
    await client.responses.create({
      model,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Title?' }, { type: 'input_file', filename: 'plan.md', file_data: file }] }],
    });
    expect(lastSent().messages[0].content).toBe('Title?\n\n[plan.md]\nQuarterly plan\n\nShip the gateway.');
    const refused = await client.responses
      .create({ model, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-123' }] }] })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/file_id/);
  });
});

describe('parameters', () => {
  it('forwards every sampling parameter to an OpenAI-compatible upstream', async () => {
    const parameters = {
      stop: ['END'],
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      logit_bias: { '50256': -100 },
      user: 'user-42',
      safety_identifier: 'end-user-hash',
      reasoning_effort: 'low' as const,
      verbosity: 'low' as const,
      prompt_cache_key: 'tenant-7',
    };
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], n: 1, ...parameters });
    expect(lastSent()).toMatchObject(parameters);
  });

  it('relays log probabilities from an upstream that gives them, streamed and not', async () => {
    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 2 });
    expect(completion.choices[0]!.logprobs!.content![0]).toMatchObject({ token: 'echo', logprob: -0.25 });
    expect(lastSent()).toMatchObject({ logprobs: true, top_logprobs: 2 });
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'a b' }], logprobs: true, stream: true });
    const tokens: string[] = [];
    for await (const chunk of stream) for (const entry of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(entry.token);
    expect(tokens.join('')).toBe('echo: a b');
  });

  it('applies stop and top_p on a local model, and refuses what it cannot apply, naming it', async () => {
    const stopped = await client.chat.completions.create({ model: 'local:stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], stop: ['Lily'], temperature: 0, top_p: 0.9 });
    expect(stopped.choices[0]!.message.content).not.toContain('Lily');
    const refused = await client.chat.completions
      .create({ model: 'local:stories260K', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 5 } })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('logit_bias');
  });

  it('refuses stream obfuscation, which these streams do not carry', async () => {
    const refused = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_obfuscation: true } })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stream_options.include_obfuscation');
  });

  it('accepts neutral values everywhere', async () => {
    const answer = await client.chat.completions.create({
      model: 'local:stories260K',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      n: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      logprobs: false,
      top_p: 1,
      parallel_tool_calls: true,
      store: false,
    });
    expect(answer.choices[0]!.message.content).toBeTypeOf('string');
  });

  it('refuses unknown fields on both trees, naming them', async () => {
    for (const [path, body] of [
      ['/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], temprature: 0.2 }],
      ['/v1/responses', { model, input: 'hi', temprature: 0.2 }],
      ['/infra/ai/responses', { model, input: 'hi', temprature: 0.2 }],
    ] as const) {
      const response = await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toMatch(/temprature: unknown field/);
    }
  });

  it('answers complete objects: a string system_fingerprint, service_tier, annotations', async () => {
    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.system_fingerprint).toMatch(/^fp_/);
    expect(completion.service_tier).toBe('default');
    expect(completion.choices[0]!.message.annotations).toEqual([]);
    const response = await client.responses.create({ model, input: 'hi' });
    expect(response).toMatchObject({ temperature: 1, top_p: 1, tools: [], tool_choice: 'auto', parallel_tool_calls: true, store: true, background: false });
    expect(response.completed_at).toBeTypeOf('number');
  });
});

import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMlTemplate, withChatTemplate } from '../helpers/gguf-chat-template.ts';
import { bundledModelsDir } from '../helpers/paths.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Function calling on a local GGUF model with a chat template, through node-llama-cpp's chat
 * wrapper. The model is stories260K with a ChatML template added: too small to choose a tool on
 * its own, so these tests force the call and check that the grammar makes it a valid one.
 */
const model = 'local:stories-chat';
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] } }, required: ['city'] },
  },
};

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  const copy = await withChatTemplate(path.join(bundledModelsDir, 'stories260K.gguf'), chatMlTemplate, 'stories-chat.gguf');
  const modelsDir = path.join(path.dirname(copy), 'models');
  await mkdir(modelsDir);
  await rename(copy, path.join(modelsDir, 'stories-chat.gguf'));
  server = await startTestServer({ LOCAL_MODELS_DIR: modelsDir, LOCAL_LLAMA_THREADS: '1' });
  client = new OpenAI({ apiKey: (await server.createKey()).secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(() => server?.close());

describe('local tool calling (GGUF with a chat template)', () => {
  it('the catalog says the model takes tools', async () => {
    const listed = await client.models.retrieve(model);
    expect((listed as unknown as { capabilities: string[] }).capabilities).toContain('tool_calling');
  });

  it('a named tool_choice yields a call to that tool with arguments its schema allows', async () => {
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0,
      max_tokens: 40,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_weather');
    expect(['Paris', 'Oslo']).toContain(JSON.parse(call.function.arguments).city);
  });

  it('streams a required call as tool-call deltas that assemble into valid arguments', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weatherTool],
      tool_choice: 'required',
      temperature: 0,
      max_tokens: 40,
      stream: true,
    });
    let name = '';
    let argumentsText = '';
    let finish: string | null = null;
    const deltas: Record<string, unknown>[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice) deltas.push(choice.delta as Record<string, unknown>);
      for (const delta of choice?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        argumentsText += delta.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(['Paris', 'Oslo']).toContain(JSON.parse(argumentsText).city);
    expect(finish).toBe('tool_calls');
    // As OpenAI streams a tool turn: the role comes with the call and `content: null`, and no
    // text at all (an empty string would be a text part to clients such as the AI SDK).
    expect(deltas[0]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ index: 0, type: 'function' }] });
    expect(deltas.some((delta) => typeof delta.content === 'string')).toBe(false);
  });

  /** A Responses request that forces a call of get_weather. */
  const forcedWeatherCall = () => ({
    model,
    input: 'What is the weather in Oslo?',
    tools: [{ type: 'function' as const, name: 'get_weather', parameters: weatherTool.function.parameters, strict: true }],
    tool_choice: { type: 'function' as const, name: 'get_weather' },
    temperature: 0,
    max_output_tokens: 40,
  });

  it('responses: a streamed forced call is only a function_call item, as unstreamed', async () => {
    const stream = client.responses.stream(forcedWeatherCall());
    const added: string[] = [];
    stream.on('response.output_item.added', (event) => added.push(event.item.type));
    const final = await stream.finalResponse();
    expect(added).toEqual(['function_call']);
    expect(final.output.map((item) => item.type)).toEqual(['function_call']);
  });

  it('takes the call and its result back as history and answers in text', async () => {
    const completion = await client.chat.completions.create({
      model,
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' },
      ],
      tools: [weatherTool],
      temperature: 0,
      max_tokens: 12,
    });
    const choice = completion.choices[0]!;
    expect(choice.message.tool_calls ?? []).toEqual([]);
    expect(['stop', 'length']).toContain(choice.finish_reason);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(20);
  });

  it('responses: a forced call is a function_call output item', async () => {
    const response = await client.responses.create(forcedWeatherCall());
    const call = response.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(['Paris', 'Oslo']).toContain(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments).city);
  });

  it('a tool_choice naming a tool that is not offered is a 400 naming tool_choice', async () => {
    const error = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_time' } } })
      .then(
        () => undefined,
        (caught: unknown) => caught as InstanceType<typeof OpenAI.APIError>,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error!.message).toMatch(/tool_choice/);
  });
});

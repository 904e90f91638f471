import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Real generation with stories260K through node-llama-cpp. Temperature 0 is greedy decoding, so
 * the text below is what the model really produces for the prompt.
 */
const storyPrompt = 'Once upon a time';
const greedyContinuation = ', there was a little girl named Lily. She loved to play outside in the park. One day,';

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startTestServer({ LOCAL_LLAMA_THREADS: '1' });
  client = new OpenAI({ apiKey: (await server.createKey()).secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(() => server.close());

describe('local text generation (stories260K)', () => {
  it('responses.create is deterministic at temperature 0 and honours max_output_tokens', async () => {
    const response = await client.responses.create({ model: 'local:stories260K', input: storyPrompt, temperature: 0, max_output_tokens: 30 });
    expect(response.output_text).toBe(greedyContinuation);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage).toMatchObject({ input_tokens: 4, output_tokens: 30, total_tokens: 34 });
  });

  it('serves more concurrent requests than sequences: the extra ones wait, each gets the same greedy text', async () => {
    // LOCAL_MAX_CONCURRENCY is 2: eight at once share two sequences.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => client.responses.create({ model: 'local:stories260K', input: storyPrompt, temperature: 0, max_output_tokens: 30 })),
    );
    for (const answer of answers) expect(answer.output_text).toBe(greedyContinuation);
  });

  it('uses the local model by default when no model is named', async () => {
    const response = await client.responses.create({ input: storyPrompt, temperature: 0, max_output_tokens: 30 } as never);
    expect(response.model).toBe('local:stories260K');
    expect(response.output_text).toBe(greedyContinuation);
  });

  it('chat.completions.create renders messages into the base-model prompt', async () => {
    const completion = await client.chat.completions.create({
      model: 'local:stories260K',
      messages: [{ role: 'user', content: storyPrompt }],
      temperature: 0,
      max_tokens: 30,
    });
    expect(completion.choices[0]!.message.content).toBe(greedyContinuation);
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 30, total_tokens: 34 });
  });

  it('streams the same text, delta by delta', async () => {
    const stream = await client.chat.completions.create({
      model: 'local:stories260K',
      messages: [{ role: 'user', content: storyPrompt }],
      temperature: 0,
      max_tokens: 30,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let deltas = 0;
    let usage;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        text += delta;
        deltas++;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(greedyContinuation);
    expect(deltas).toBeGreaterThan(10);
    expect(usage).toEqual({ prompt_tokens: 4, completion_tokens: 30, total_tokens: 34 });
  });

  it('json_schema output parses and validates against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'number' }, happy: { type: 'boolean' } },
      required: ['name', 'age', 'happy'],
      additionalProperties: false,
    };
    const response = await client.responses.create({
      model: 'local:stories260K',
      input: 'Lily',
      temperature: 0,
      max_output_tokens: 200,
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
    });
    const value = JSON.parse(response.output_text);
    expect(Object.keys(value).sort()).toEqual(['age', 'happy', 'name']);
    expect(typeof value.name).toBe('string');
    expect(typeof value.age).toBe('number');
    expect(typeof value.happy).toBe('boolean');
  });

  it('json_object constrains the output to JSON (the tiny model never closes its object, so it ends on length)', async () => {
    const completion = await client.chat.completions.create({
      model: 'local:stories260K',
      messages: [{ role: 'user', content: 'Tom' }],
      temperature: 0,
      max_tokens: 40,
      response_format: { type: 'json_object' },
    });
    const choice = completion.choices[0]!;
    expect(choice.message.content).toMatch(/^\{ "Hello, Jack\. What is your name\?" : "/);
    expect(choice.finish_reason).toBe('length');
  });

  it('refuses a prompt too long for the context whatever its tokens, before tokenizing it', async () => {
    // stories260K: a 2,048-token context here and no token over 9 bytes, so at most 18,432 bytes of text.
    const long = 'Once upon a time there was a little dog. '.repeat(2_500);
    await expect(client.responses.create({ model: 'local:stories260K', input: long, max_output_tokens: 5 })).rejects.toMatchObject({
      status: 400,
      error: { param: 'input', message: expect.stringMatching(/^input: 102500 bytes of text; local:stories260K has a context of 2048 tokens, which hold at most 18432 bytes$/) },
    });
    await expect(
      client.chat.completions.create({ model: 'local:stories260K', messages: [{ role: 'user', content: long }], max_tokens: 5, stream: true }),
    ).rejects.toMatchObject({ status: 400, error: { param: 'input' } });
  });

  it('refuses a prompt over the context by its tokens with a 400, streamed too: before any stream byte', async () => {
    // Under the byte bound (18,432), over 2,048 tokens.
    const many = 'z '.repeat(7_000);
    await expect(client.chat.completions.create({ model: 'local:stories260K', messages: [{ role: 'user', content: many }], max_tokens: 5, stream: true })).rejects.toMatchObject({
      status: 400,
      error: { param: 'input', message: expect.stringMatching(/^The input is \d+ tokens; local:stories260K has a context of 2048$/) },
    });
    await expect(client.responses.create({ model: 'local:stories260K', input: many, max_output_tokens: 5, stream: true })).rejects.toMatchObject({ status: 400, error: { param: 'input' } });
  });

  it('rejects image input to the text-only local model', async () => {
    await expect(
      client.responses.create({
        model: 'local:stories260K',
        input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' }] }],
      }),
    ).rejects.toMatchObject({ status: 400, error: { param: 'input' } });
  });
});

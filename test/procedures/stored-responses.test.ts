import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

/** Stored responses through the official SDK: retrieve, input items, delete, previous_response_id. */
let fake: FakeUpstream;
let server: TestServer;
let client: OpenAI;
let stranger: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['gpt-store', 'sleepy'] }]) });
  client = new OpenAI({ apiKey: (await server.createKey()).secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
  stranger = new OpenAI({ apiKey: (await server.createKey()).secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const model = 'fake:gpt-store';
const status = (promise: Promise<unknown>) => promise.then(() => 200, (error: { status?: number }) => error.status);

describe('stored responses', () => {
  it('keeps a response by default: retrieve it and list its input items; another project cannot', async () => {
    const created = await client.responses.create({ model, input: 'remember me' });
    expect((created as unknown as { store: boolean }).store).toBe(true);
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved).toEqual(created);
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'remember me' }] });
    expect(await status(stranger.responses.retrieve(created.id))).toBe(404);
  });

  it('continues a conversation with previous_response_id, streamed or not', async () => {
    const first = await client.responses.create({ model, instructions: 'Only the first turn has these.', input: 'My name is Ada.' });
    const second = await client.responses.create({ model, input: 'What is my name?', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(fake.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'echo: My name is Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);

    const stream = client.responses.stream({ model, input: 'And again?', previous_response_id: second.id });
    const third = await stream.finalResponse();
    expect(fake.requests.at(-1)!.body.messages).toHaveLength(5);
    expect((await client.responses.retrieve(third.id)).output_text).toBe('echo: And again?');
  });

  it('keeps nothing with store: false, and refuses an unknown previous_response_id with 404', async () => {
    const unstored = await client.responses.create({ model, input: 'forget me', store: false });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    expect(await status(client.responses.retrieve(unstored.id))).toBe(404);
    const unknown = await client.responses.create({ model, input: 'x', previous_response_id: 'resp_missing' }).catch((error: InstanceType<typeof OpenAI.NotFoundError>) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');
  });

  it('deletes a response', async () => {
    const created = await client.responses.create({ model, input: 'short-lived' });
    await client.responses.delete(created.id);
    expect(await status(client.responses.retrieve(created.id))).toBe(404);
    expect(await status(client.responses.delete(created.id))).toBe(404);
  });
});

describe('background responses', () => {
  it('answer queued at once, then retrieving shows the run finish, as the same response id', async () => {
    const queued = await client.responses.create({ model, input: 'in the background', background: true });
    expect(queued.status).toBe('queued');
    expect(queued.background).toBe(true);
    let current = queued;
    for (let poll = 0; poll < 100 && (current.status === 'queued' || current.status === 'in_progress'); poll++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await client.responses.retrieve(queued.id);
    }
    expect(current).toMatchObject({ id: queued.id, status: 'completed', background: true, output_text: 'echo: in the background' });
  });

  it('cancel stops a background run wherever it is; a foreground response cannot be cancelled', async () => {
    const queued = await client.responses.create({ model: 'fake:sleepy', input: 'cancel me', background: true });
    const cancelled = await client.responses.cancel(queued.id);
    expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled' });
    expect((await client.responses.retrieve(queued.id)).status).toBe('cancelled');
    const foreground = await client.responses.create({ model, input: 'done already' });
    expect(await status(client.responses.cancel(foreground.id))).toBe(400);
  });
});

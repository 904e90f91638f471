import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../server/app-router.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

let fake: FakeUpstream;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['echo', 'endless', 'pausing', 'dies', 'sleepy'] }]),
    SSE_KEEPALIVE_MS: '100',
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

function post(path: string, body: object, signal?: AbortSignal) {
  return fetch(server.baseUrl + path, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** The raw SSE events of a response, comments excluded. */
function readEvents(response: Response) {
  return response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())[Symbol.asyncIterator]();
}

describe('SSE streaming', () => {
  it('uses text/event-stream with named events on the native route', async () => {
    const response = await post('/infra/ai/responses', { model: 'fake:echo', input: 'hi', stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const events = [];
    for await (const event of readEvents(response)) events.push(event);
    expect(events[0]!.event).toBe('response.created');
    expect(JSON.parse(events[0]!.data).type).toBe('response.created');
    expect(events.at(-1)!.event).toBe('response.completed');
    expect(events.some((event) => event.data === '[DONE]')).toBe(false);
  });

  it('flushes each delta as it arrives', async () => {
    const response = await post('/v1/chat/completions', { model: 'fake:pausing', messages: [{ role: 'user', content: 'a b c' }], stream: true });
    const events = readEvents(response);
    let firstContent = '';
    while (!firstContent) {
      const { value } = await events.next();
      firstContent = JSON.parse(value!.data).choices[0].delta.content;
    }
    expect(firstContent).toBe('echo: ');
    // The upstream is still paused after its first word: the delta was not held back.
    expect(fake.requests.at(-1)!.wasFinished()).toBe(false);
    for await (const _ of events) {
      // drain
    }
  });

  it('sends keep-alive comments during long silences', async () => {
    const response = await post('/v1/chat/completions', { model: 'fake:pausing', messages: [{ role: 'user', content: 'x y' }], stream: true });
    const raw = await response.text();
    expect(raw).toContain(': keep-alive\n\n');
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('aborts the upstream call as soon as the client disconnects', async () => {
    const controller = new AbortController();
    const response = await post('/v1/chat/completions', { model: 'fake:endless', messages: [{ role: 'user', content: 'go' }], stream: true }, controller.signal);
    const events = readEvents(response);
    await events.next();
    await events.next();
    const upstreamCall = fake.requests.at(-1)!;
    expect(upstreamCall.wasAborted()).toBe(false);
    controller.abort();
    await upstreamCall.aborted;
    expect(upstreamCall.wasAborted()).toBe(true);
  });

  it('aborts a non-streamed upstream call as soon as the client disconnects', async () => {
    const controller = new AbortController();
    const answered = post('/v1/chat/completions', { model: 'fake:sleepy', messages: [{ role: 'user', content: 'wait' }] }, controller.signal).catch(() => undefined);
    await expect.poll(() => fake.requests.at(-1)?.body.model).toBe('sleepy');
    const upstreamCall = fake.requests.at(-1)!;
    controller.abort();
    // The fake answers after 1.5 s unless its caller leaves first: this resolves only if we left.
    await upstreamCall.aborted;
    expect(upstreamCall.wasFinished()).toBe(false);
    await answered;
  });

  it('sends an error event and closes when the upstream fails mid-stream (Responses)', async () => {
    const response = await post('/v1/responses', { model: 'fake:dies', input: 'one two three', stream: true });
    expect(response.status).toBe(200);
    const events = [];
    for await (const event of readEvents(response)) events.push(event);
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ type: 'error', code: 'bad_gateway' });
    expect(events.some((event) => event.event === 'response.output_text.delta')).toBe(true);
  });

  it('sends an error frame without [DONE] when the upstream fails mid-stream (chat)', async () => {
    const response = await post('/v1/chat/completions', { model: 'fake:dies', messages: [{ role: 'user', content: 'one two three' }], stream: true });
    const events = [];
    for await (const event of readEvents(response)) events.push(event.data);
    expect(JSON.parse(events.at(-1)!).error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
    expect(events).not.toContain('[DONE]');
  });

  it('answers auth and validation failures before streaming, in the tree envelope', async () => {
    const unauthorized = await fetch(`${server.baseUrl}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake:echo', input: 'x', stream: true }),
    });
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.type).toBe('invalid_request_error');
    const invalid = await post('/infra/ai/responses', { model: 'fake:echo', input: 'x', stream: true, temperature: 9 });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.message).toMatch(/^temperature: /);
  });
});

describe('typed tRPC clients', () => {
  const client = () =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (operation) => operation.type === 'subscription',
          true: httpSubscriptionLink({
            url: `${server.baseUrl}/trpc`,
            EventSource,
            eventSourceOptions: () => ({
              fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...bearer(key) } }),
            }),
          }),
          false: httpLink({ url: `${server.baseUrl}/trpc`, headers: () => bearer(key) }),
        }),
      ],
    });

  it('create a response with a mutation', async () => {
    const result = await client().infra.ai.responses.create.mutate({ model: 'fake:echo', input: 'typed' });
    if (result.data.object !== 'response') throw new Error('expected a response, not an operation');
    expect(result.data.output_text).toBe('echo: typed');
    expect(result.data.usage?.total_tokens).toBe(10);
  });

  it('get the same stream as a subscription', async () => {
    const events: { type: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = client().v1.responses.stream.subscribe(
        { model: 'fake:echo', input: 'sub', stream: true },
        {
          onData: (event) => {
            events.push(event as { type: string });
            if ((event as { type: string }).type === 'response.completed') {
              subscription.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    expect(events[0]!.type).toBe('response.created');
    expect(events.filter((event) => event.type === 'response.output_text.delta').map((event) => (event as unknown as { delta: string }).delta).join('')).toBe('echo: sub');
  });
});

import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  createClient,
  NotFoundError,
  OperationError,
  RateLimitError,
  ServerError,
  TimeoutError,
  type Client,
} from '../../client/src/index.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startForwardingProxy } from '../helpers/forwarding-proxy.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * The client's own behaviour against a live server: typed errors from both trees, retries that
 * honour Retry-After (through a loopback proxy that refuses the first requests the way the
 * service does), timeouts, streams that end when the caller leaves, the helpers for background
 * operations, byte answers, and an API key that never shows.
 */
let fake: FakeOpenAi;
let server: TestServer;
let key: string;
let ss: Client;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'openai', base_url: `${fake.baseUrl}/v1`, models: ['gpt-4o-mini', 'slow', 'endless', 'refuses', 'gated'] }]),
  });
  key = (await server.createKey(['ai:read', 'ai:generate'], '100000')).secret;
  ss = createClient({ baseUrl: server.baseUrl, apiKey: key });
});
afterAll(async () => {
  fake.gate.open();
  await server.close();
  await fake.close();
});

/** A proxy that answers the first `refusals` requests itself, as the service refuses one (status, Retry-After, native error body). */
function startRefusingProxy(refusals: number, status: number, retryAfter: string | undefined) {
  return startForwardingProxy(server.baseUrl, (arrival, _req, res) => {
    if (arrival > refusals) return false;
    const requestId = `req_refused_${arrival}`;
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId, ...(retryAfter ? { 'retry-after': retryAfter } : {}) });
    res.end(JSON.stringify({ status: 'error', error: { code: status === 429 ? 'rate_limited' : 'service_unavailable', message: 'Try again later', request_id: requestId } }));
    return true;
  });
}

describe('errors', () => {
  it('are typed classes with status, code, message and request id (native tree)', async () => {
    const failure = await ss.infra.ai.models.get('nowhere:no-such-model').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotFoundError);
    expect(failure).toMatchObject({ status: 404, code: 'not_found', requestId: expect.stringMatching(/\S/) });
    expect((failure as NotFoundError).message).toMatch(/nowhere:no-such-model/);
    expect((failure as NotFoundError).request_id).toBe((failure as NotFoundError).requestId);
  });

  it('name the field at fault on a bad input', async () => {
    const invalid = { text: 'Atomic AI primitives.', max_chars: 50 };
    const failure = await ss.infra.ai.documents.chunk(invalid).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadRequestError);
    expect(failure).toMatchObject({ status: 400, code: 'bad_request', param: 'max_chars' });
  });

  it('read the OpenAI error body on /v1, the request id from its header', async () => {
    const failure = await ss.v1.models.retrieve('nowhere:no-such-model').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotFoundError);
    expect(failure).toMatchObject({ status: 404, requestId: expect.stringMatching(/\S/) });
  });

  it('401 for a wrong key is an AuthenticationError, and is not retried', async () => {
    const wrongKey = 'sk_live_not-a-real-key-0123456789';
    const failure = await createClient({ baseUrl: server.baseUrl, apiKey: wrongKey }).infra.ai.models.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthenticationError);
    expect(failure).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(inspect(failure)).not.toContain(wrongKey);
  });
});

describe('retries', () => {
  it('retry a 429 after the Retry-After the answer gave, then succeed', async () => {
    const proxy = await startRefusingProxy(1, 429, '1');
    try {
      const { data } = await createClient({ baseUrl: proxy.baseUrl, apiKey: key }).infra.ai.models.list();
      expect(data.length).toBeGreaterThan(0);
      expect(proxy.arrivals).toHaveLength(2);
      // Without Retry-After the first backoff is at most 625 ms: waiting a second means it was honoured.
      expect(proxy.arrivals[1]!.at - proxy.arrivals[0]!.at).toBeGreaterThanOrEqual(1000);
    } finally {
      await proxy.close();
    }
  });

  it('retry 5xx answers with backoff', async () => {
    const proxy = await startRefusingProxy(2, 503, undefined);
    try {
      const { data } = await createClient({ baseUrl: proxy.baseUrl, apiKey: key }).infra.ai.documents.chunk({ text: 'Retried until it worked. '.repeat(10), max_chars: 100 });
      expect(data.chunks.length).toBeGreaterThan(0);
      expect(proxy.arrivals).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  });

  it('give up after maxRetries with the last answer as a typed error', async () => {
    const proxy = await startRefusingProxy(5, 429, '0');
    try {
      const failure = await createClient({ baseUrl: proxy.baseUrl, apiKey: key, maxRetries: 1 }).infra.ai.models.list().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RateLimitError);
      expect(failure).toMatchObject({ status: 429, code: 'rate_limited', requestId: 'req_refused_2', retryAfterSeconds: 0 });
      expect(proxy.arrivals).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('a 5xx left unretried is a ServerError', async () => {
    const proxy = await startRefusingProxy(1, 503, undefined);
    try {
      const failure = await createClient({ baseUrl: proxy.baseUrl, apiKey: key, maxRetries: 0 }).infra.ai.models.list().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ServerError);
      expect(failure).toMatchObject({ status: 503, code: 'service_unavailable', requestId: 'req_refused_1' });
    } finally {
      await proxy.close();
    }
  });

  it('a connection that cannot be made is a ConnectionError', async () => {
    const closed = await startForwardingProxy(server.baseUrl);
    await closed.close();
    const failure = await createClient({ baseUrl: closed.baseUrl, apiKey: key, maxRetries: 0 }).infra.ai.models.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
  });
});

describe('timeouts and cancellation', () => {
  it('a call that outlives timeoutMs is a TimeoutError', async () => {
    const failure = await ss.infra.ai.responses.create({ model: 'openai:slow', input: 'Take your time' }, { timeoutMs: 300, maxRetries: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
  });

  it('aborting a stream ends the loop and the generation upstream', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const before = fake.requests.length;
    const failure = await (async () => {
      for await (const event of ss.infra.ai.responses.stream({ model: 'openai:endless', input: 'Go on forever' }, { signal: controller.signal })) {
        seen.push(event.type);
        if (seen.filter((type) => type === 'response.output_text.delta').length === 3) controller.abort();
      }
    })().catch((error: unknown) => error);
    expect((failure as Error).name).toBe('AbortError');
    expect(seen.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    await fake.requests[before]!.aborted;
    expect(fake.requests[before]!.wasAborted()).toBe(true);
  });

  it('leaving a stream early (break) closes it too', async () => {
    const before = fake.requests.length;
    let deltas = 0;
    for await (const event of ss.v1.chat.completions.stream({ model: 'openai:endless', messages: [{ role: 'user', content: 'Go on' }] })) {
      if (event.choices[0]?.delta.content) deltas++;
      if (deltas === 2) break;
    }
    await fake.requests[before]!.aborted;
    expect(fake.requests[before]!.wasAborted()).toBe(true);
  });

  it('a stream refused before its first event throws the typed error from the loop', async () => {
    const stranger = createClient({ baseUrl: server.baseUrl, apiKey: 'sk_live_not-a-real-key-0123456789' });
    const failure = await (async () => {
      for await (const _event of stranger.infra.ai.responses.stream({ model: 'openai:gpt-4o-mini', input: 'Hi' })) expect.unreachable();
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthenticationError);
  });
});

describe('streams', () => {
  it('chat completion chunks end at [DONE], the text whole', async () => {
    let text = '';
    for await (const chunk of ss.infra.ai.responses.chatCompletionsStream({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'Stream me' }] })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('echo: Stream me');
  });

  it('the OpenAI-compatible responses stream ends with response.completed', async () => {
    const types: string[] = [];
    for await (const event of ss.v1.responses.stream({ model: 'openai:gpt-4o-mini', input: 'Hi' })) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
  });

  it('create({ stream: true }) resolves to the events, as openai-node does; without it, to the answer', async () => {
    const chunks = await ss.v1.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'Stream me' }], stream: true });
    let text = '';
    for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: Stream me');

    const events = await ss.infra.ai.responses.create({ model: 'openai:gpt-4o-mini', input: 'Hi', stream: true });
    const types: string[] = [];
    for await (const event of events) types.push(event.type);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.at(-1)).toBe('response.completed');

    const { data: answer } = await ss.infra.ai.responses.create({ model: 'openai:gpt-4o-mini', input: 'Hi', stream: false });
    expect(answer.output_text).toBe('echo: Hi');
  });

  it('create({ stream: true }) refused before its first event rejects at the await, with the typed error', async () => {
    const failure = await ss.v1.responses.create({ model: 'openai:gpt-4o-mini', input: 'Hi', stream: true, temperature: 9 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadRequestError);
    expect(failure).toMatchObject({ status: 400, param: 'temperature' });
  });
});

describe('background operations', () => {
  it('result() answers the result of an accepted operation', async () => {
    const accepted = await ss.infra.ai.responses.create({ model: 'openai:gpt-4o-mini', input: 'Later, please', async: true });
    expect(accepted.data.object).toBe('ai.operation');
    const response = await ss.infra.ai.operations.result(accepted);
    expect(response.output_text).toBe('echo: Later, please');
  });

  it('result() answers an immediate answer as it is, on either tree', async () => {
    const now = await ss.infra.ai.documents.chunk({ text: 'Now. '.repeat(30), max_chars: 100 });
    expect((await ss.infra.ai.operations.result(now)).object).toBe('list');
    const chat = await ss.v1.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'Now' }] });
    expect((await ss.infra.ai.operations.result(chat)).choices[0]?.message.content).toBe('echo: Now');
  });

  it('result() throws an OperationError when the operation failed', async () => {
    const accepted = await ss.infra.ai.responses.create({ model: 'openai:refuses', input: 'No', async: true });
    const failure = await ss.infra.ai.operations.result(accepted).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationError);
    expect(failure).toMatchObject({ status: 'failed', operationId: accepted.data.id });
  });

  it('wait() gives up with a TimeoutError after timeoutMs; a cancel ends the operation', async () => {
    const accepted = await ss.infra.ai.responses.create({ model: 'openai:gated', input: 'Held back', async: true });
    const failure = await ss.infra.ai.operations.wait(accepted.data.id, { timeoutMs: 300 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    const { data: cancelling } = await ss.infra.ai.operations.cancel(accepted.data.id);
    expect(cancelling.id).toBe(accepted.data.id);
    expect((await ss.infra.ai.operations.wait(accepted.data.id)).status).toBe('cancelled');
  });

  it('list() pages through the operations of the project, newest first, filtered by status', async () => {
    const first = await ss.infra.ai.responses.create({ model: 'openai:gpt-4o-mini', input: 'One', async: true });
    const second = await ss.infra.ai.responses.create({ model: 'openai:gpt-4o-mini', input: 'Two', async: true });
    await ss.infra.ai.operations.wait(second.data.id);
    await ss.infra.ai.operations.wait(first.data.id);
    const page = await ss.infra.ai.operations.list({ status: 'succeeded', limit: 1 });
    expect(page.data.data).toHaveLength(1);
    expect(page.data.has_more).toBe(true);
    const next = await ss.infra.ai.operations.list({ status: 'succeeded', limit: 1, after: page.data.last_id! });
    expect(next.data.data[0]!.id).not.toBe(page.data.data[0]!.id);
    expect([...page.data.data, ...next.data.data].every((operation) => operation.status === 'succeeded')).toBe(true);
  });

  it('wait() on a finished operation answers it at once', async () => {
    const accepted = await ss.v1.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'Queue me' }], async: true });
    const id = (accepted as { id: string }).id;
    const ended = await ss.infra.ai.operations.wait(id);
    expect(ended).toMatchObject({ id, status: 'succeeded' });
    expect((await ss.infra.ai.operations.wait(id)).status).toBe('succeeded');
  });
});

describe('other answers', () => {
  it('speech as bytes when asked, JSON otherwise; /v1 speech always bytes', async () => {
    const bytes = await ss.infra.ai.audio.speech({ model: 'local:espeak-ng', input: 'Hello.', voice: 'alloy', response_format: 'binary', audio_format: 'wav' });
    expect(bytes).toMatchObject({ contentType: 'audio/wav' });
    const json = await ss.infra.ai.audio.speech({ model: 'local:espeak-ng', input: 'Hello.', voice: 'alloy', audio_format: 'wav' });
    expect(json).toMatchObject({ status: 'ok', data: { object: 'audio.speech', content_type: 'audio/wav' } });
    const compat = await ss.v1.audio.speech.create({ model: 'local:espeak-ng', input: 'Hello.', voice: 'alloy', response_format: 'wav' });
    expect(compat.contentType).toBe('audio/wav');
    expect(new TextDecoder().decode(compat.body.subarray(0, 4))).toBe('RIFF');
  });

  it('any route by its router path through call()', async () => {
    const { data } = await ss.call('infra.ai.usage', {});
    expect(data.balance).toMatch(/^\d/);
    const models = await ss.v1.models.list();
    expect(models.object).toBe('list');
  });
});

describe('the API key', () => {
  it('never shows on the client, its errors or a failed connection', async () => {
    const secret = 'sk_live_this-must-never-show-0123456789';
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', apiKey: secret, maxRetries: 0 });
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(secret);
    const failure = await client.infra.ai.models.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(inspect(failure, { depth: 10, showHidden: true }) + JSON.stringify(failure)).not.toContain(secret);
  });
});

describe('storage and webhooks', () => {
  it('put bytes under a key with slashes and spaces, list, read them back whole, delete', async () => {
    const bucket = await ss.infra.storage.buckets.create({ name: `client-${Date.now()}` });
    const bucketId = bucket.data.id;
    const bytes = new Uint8Array([0, 1, 2, 0x7b, 0xfe, 0xff]);
    const key = 'reports/2026/q4 summary.bin';
    const stored = await ss.infra.storage.objects.put({ bucket_id: bucketId, key, content_type: 'application/x-report', body: bytes });
    expect(stored.data).toMatchObject({ bucket_id: bucketId, key, content_type: 'application/x-report', size: bytes.length });
    const listed = await ss.infra.storage.objects.list({ bucket_id: bucketId, prefix: 'reports/' });
    expect(listed.data.map((object) => object.key)).toEqual([key]);
    const read = await ss.infra.storage.objects.get({ bucket_id: bucketId, key });
    expect(read.contentType).toBe('application/x-report');
    expect([...read.body]).toEqual([...bytes]);
    expect((await ss.infra.storage.buckets.list()).data.map((listedBucket) => listedBucket.id)).toContain(bucketId);
    expect((await ss.infra.storage.objects.delete({ bucket_id: bucketId, key })).data).toEqual({ deleted: true });
    await expect(ss.infra.storage.objects.get({ bucket_id: bucketId, key })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a stored JSON object comes back as its bytes; a caller Content-Type header does not change the stored type', async () => {
    const bucketId = (await ss.infra.storage.buckets.create({ name: `client-json-${Date.now()}` })).data.id;
    const text = '{"answer": 42}';
    const stored = await ss.infra.storage.objects.put(
      { bucket_id: bucketId, key: 'result.json', content_type: 'application/json', body: new TextEncoder().encode(text) },
      { headers: { 'Content-Type': 'text/html' } },
    );
    expect(stored.data.content_type).toBe('application/json');
    const read = await ss.infra.storage.objects.get({ bucket_id: bucketId, key: 'result.json' });
    expect(read.contentType).toMatch(/^application\/json/);
    expect(new TextDecoder().decode(read.body)).toBe(text);
  });

  it('keys whose "." or ".." segments the URL would resolve away are refused before anything is sent', async () => {
    for (const key of ['a/../b', './a', '..', 'a/.']) {
      await expect(ss.infra.storage.objects.delete({ bucket_id: 'any', key })).rejects.toThrow(/^key: "\." and "\.\." cannot be path segments/);
    }
    await expect(ss.infra.webhooks.endpoints.delete('..')).rejects.toThrow(/^endpoint_id: /);
  });

  it('a put without bytes or their type is refused before anything is sent', async () => {
    const put = ss.infra.storage.objects.put as (input: Record<string, unknown>) => Promise<unknown>;
    await expect(put({ bucket_id: 'any', key: 'k', content_type: 'text/plain', body: 'not bytes' })).rejects.toThrow(/^body: required/);
    await expect(put({ bucket_id: 'any', key: 'k', content_type: '', body: new Uint8Array([1]) })).rejects.toThrow(/^content_type: required/);
    await expect(put({ bucket_id: 'any', key: 'k', content_type: 'text/plain\r\nx-injected: 1', body: new Uint8Array([1]) })).rejects.toThrow(/^content_type: /);
  });

  it('webhook endpoints: created with their secret, listed, deleted once; deliveries listed', async () => {
    const created = await ss.infra.webhooks.endpoints.create({ url: 'https://hooks.example.com/ai', topics: ['client-reports'] });
    expect(created.data).toMatchObject({ url: 'https://hooks.example.com/ai', topics: ['client-reports'], secret: expect.stringMatching(/\S{16,}/) });
    const listed = await ss.infra.webhooks.endpoints.list();
    expect(listed.data.find((endpoint) => endpoint.id === created.data.id)).toBeDefined();
    expect(listed.data.every((endpoint) => !('secret' in endpoint))).toBe(true);
    // Nothing was sent to the new endpoint: the filter holds (other endpoints of the project have deliveries or not).
    expect((await ss.infra.webhooks.deliveries.list({ endpoint_id: created.data.id })).data).toEqual([]);
    expect((await ss.infra.webhooks.endpoints.delete(created.data.id)).data).toEqual({ id: created.data.id, deleted: true });
    await expect(ss.infra.webhooks.endpoints.delete(created.data.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

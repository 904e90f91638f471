import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer({ MAX_BODY_BYTES: '2048' });
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

async function send(path: string, init: RequestInit = {}) {
  const response = await fetch(server.baseUrl + path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

describe('unknown routes', () => {
  it('answers 404 in the native envelope under /infra', async () => {
    const { status, body } = await send('/infra/ai/nothing-here', { headers: bearer(key) });
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: 'error', error: { code: 'not_found', message: 'Unknown route: GET /infra/ai/nothing-here' } });
  });

  it("answers 405 naming the methods a path takes, unread and in its tree's envelope", async () => {
    const { status, headers, body } = await send('/v1/models', { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: '{}' });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('GET');
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed', message: 'POST is not served on this path; it takes GET' });
  });

  it('answers 404 in the OpenAI envelope under /v1', async () => {
    const { status, body } = await send('/v1/assistants', { method: 'POST', headers: bearer(key) });
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', message: 'Unknown route: POST /v1/assistants' });
  });
});

describe('request bodies', () => {
  it('answers 413 for a body over MAX_BODY_BYTES, in each envelope', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(4096) });
    const native = await send('/infra/ai/embeddings', { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: big });
    expect(native.status).toBe(413);
    expect(native.body.error.code).toBe('payload_too_large');
    const openai = await send('/v1/embeddings', { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: big });
    expect(openai.status).toBe(413);
    expect(openai.body.error.type).toBe('invalid_request_error');
  });

  it('answers 400 for malformed JSON', async () => {
    const { status, body } = await send('/v1/embeddings', { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: '{"a":' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_json');
  });

  it('answers 400 for JSON that is not an object or array, and 413 for an undeclared length over the limit', async () => {
    const json = { ...bearer(key), 'content-type': 'application/json' };
    const scalar = await send('/v1/embeddings', { method: 'POST', headers: json, body: '"just a string"' });
    expect(scalar.status).toBe(400);
    expect(scalar.body.error.code).toBe('invalid_json');
    const chunks = [JSON.stringify({ input: 'x'.repeat(1500) }).slice(0, -1), `,"more":"${'y'.repeat(1500)}"}`];
    const streamed = new ReadableStream({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    const tooLong = await send('/v1/embeddings', { method: 'POST', headers: json, body: streamed, duplex: 'half' } as RequestInit);
    expect(tooLong.status).toBe(413);
    expect(tooLong.body.error.type).toBe('invalid_request_error');
  });

  it('reads compressed and charset-labelled JSON bodies too', async () => {
    const request = JSON.stringify({ model: 'nowhere:no-such-model', input: 'hello' });
    const compressed = await send('/v1/embeddings', {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip' },
      body: gzipSync(request),
    });
    const plain = await send('/v1/embeddings', { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json; charset=utf-8' }, body: request });
    // Both were read: the answer is about the model the body names, not about the body.
    expect(compressed.status).toBe(plain.status);
    expect(compressed.body).toEqual(plain.body);
    expect(plain.text).toContain('nowhere:no-such-model');
  });
});

describe('request ids', () => {
  it('are on every response, once, whoever writes it', async () => {
    const json = { ...bearer(key), 'content-type': 'application/json' };
    for (const [path, init] of [
      // A JSON route's answer, its error (bad input), its refusal before the body (no key) and
      // over MAX_BODY_BYTES; the OpenAPI adapter (a query string to coerce); tRPC; express's own.
      ['/v1/models', { headers: bearer(key) }],
      ['/v1/embeddings', { method: 'POST', headers: json, body: JSON.stringify({ input: 'x' }) }],
      ['/v1/models', {}],
      ['/v1/embeddings', { method: 'POST', headers: json, body: JSON.stringify({ input: 'x'.repeat(4096) }) }],
      ['/v1/models?limit=1', { headers: bearer(key) }],
      ['/trpc/infra.ai.models.list', { headers: bearer(key) }],
      ['/nowhere', {}],
      ['/healthz', {}],
      ['/openapi.json', {}],
    ] as const) {
      const response = await send(path, init);
      expect(response.headers.get('x-request-id'), `${path} (${response.status})`).toMatch(/^req_[0-9a-f]{24}$/);
    }
  });

  it("echo a caller's sane id on a JSON route's answer, written with its length and rate limits", async () => {
    const response = await fetch(`${server.baseUrl}/v1/models`, { headers: { ...bearer(key), 'x-request-id': 'trace-json-1' } });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-json-1');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(response.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    expect(JSON.parse(text).object).toBe('list');
  });

  it("echo a caller's sane id and appear in the native error body", async () => {
    const { headers, body } = await send('/infra/ai/models', { headers: { 'x-request-id': 'trace-123' } });
    expect(headers.get('x-request-id')).toBe('trace-123');
    expect(body.error.request_id).toBe('trace-123');
  });

  it("replace an unsafe id", async () => {
    const { headers } = await send('/healthz', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(headers.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('health', () => {
  it('reports process and database state', async () => {
    expect((await send('/healthz')).body).toEqual({ status: 'ok' });
    expect((await send('/readyz')).body).toEqual({ status: 'ok', database: 'reachable' });
  });
});

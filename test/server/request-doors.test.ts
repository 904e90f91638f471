import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw-http.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Every door of the one request pipeline (both REST trees, /trpc, the pages, multipart, raw
 * bodies, the websocket upgrade) under what a careless or hostile client sends: malformed
 * escapes, NUL and lone surrogates in paths, queries and bodies, anonymous bodies, pauses. Each
 * is a 4xx naming what is wrong, and the process keeps serving.
 */
let server: TestServer;
let key: string;
let port: number;

beforeAll(async () => {
  server = await startTestServer({ BODY_IDLE_TIMEOUT_MS: '300', HTTP_HEADERS_TIMEOUT_MS: '500' });
  key = (await server.createKey()).secret;
  port = server.running.port;
});
afterAll(() => server.close());

/** Sends bytes as they are to this file's server (no client normalises them) and reads the first answer. */
const raw = (request: string | Buffer, options: { keepOpenMs?: number } = {}) => rawRequest(port, request, options);

const get = (path: string, headers: Record<string, string> = {}) =>
  raw(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}Connection: close\r\n\r\n`);

async function stillServing(): Promise<void> {
  const health = await fetch(`${server.baseUrl}/healthz`);
  expect(health.status).toBe(200);
}

describe('malformed paths, on every door', () => {
  const probes = [
    '/infra/ai/models/%ZZ',
    '/v1/models/%ED%A0%80',
    '/infra/ai/operations/aiop_%00',
    '/v1/responses/resp_%00abc',
    '/infra/storage/buckets/bkt_1/objects/a%E0%A4%A',
    '/dashboard/%ZZ',
    '/docs/assets/%C0%80',
  ];

  it('are a 400 naming the path parameter, with a key and without, and the process lives', async () => {
    for (const path of probes) {
      for (const headers of [{}, bearer(key)]) {
        const answer = await get(path, headers);
        expect(answer.status, `${path} ${JSON.stringify(headers).length}`).toBe(400);
        const message = answer.body.error.message as string;
        expect(message, path).toMatch(/^(model_id|operation_id|response_id|key|file): (malformed percent-encoding|contains a NUL|contains a lone)/);
        expect(answer.headers['x-request-id']).toMatch(/^req_/);
      }
    }
    await stillServing();
  });

  it('a tRPC path and a query are checked the same way', async () => {
    const trpc = await get('/trpc/infra.ai.models.get?input=%7B%22model_id%22%3A%22%ZZ%22%7D', bearer(key));
    expect(trpc.status).toBe(400);
    expect(trpc.body.error.message).toMatch(/malformed percent-encoding/);
    const trpcNul = await get(`/trpc/infra.ai.models.get?input=${encodeURIComponent('{"model_id":"a\\u0000b"}')}`, bearer(key));
    expect(trpcNul.status).toBe(400);
    expect(trpcNul.body.error.message).toMatch(/^input\.model_id: contains a NUL/);
    const query = await get('/infra/ai/models?provider=%00', bearer(key));
    expect(query.status).toBe(400);
    expect(query.body.error.message).toMatch(/^provider: contains a NUL/);
    await stillServing();
  });

  it('an unknown query parameter is refused by name, never dropped', async () => {
    const answer = await fetch(`${server.baseUrl}/infra/ai/models?capability=embeddings&limit=2`, { headers: bearer(key) });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as any).error).toMatchObject({ message: 'limit: not a query parameter of this route', details: { param: 'limit' } });
    const onPost = await fetch(`${server.baseUrl}/v1/embeddings?api-version=1`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: '{"input":"x"}' });
    expect(onPost.status).toBe(400);
    expect(((await onPost.json()) as any).error.param).toBe('api-version');
  });

  it('a websocket upgrade to a malformed or unknown path is answered, not dropped', async () => {
    const upgrade = (path: string) =>
      raw(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    const malformed = await upgrade('/v1/realtime/%ZZ');
    expect(malformed.status).toBe(404);
    const badEscape = await upgrade('/v1/models/%ZZ');
    expect(badEscape.status).toBe(400);
    expect(badEscape.body.error.message).toMatch(/^model_id: malformed/);
    const unknown = await upgrade('/nowhere');
    expect(unknown.status).toBe(404);
    // Realtime is not configured on this server: the upgrade says so.
    const realtime = await upgrade('/v1/realtime');
    expect(realtime.status).toBe(501);
    expect(realtime.headers['x-request-id']).toMatch(/^req_/);
    await stillServing();
  });

  it('a request Node cannot parse is a JSON 400 with a request id', async () => {
    const answer = await raw('GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('bad_request');
    expect(answer.headers['x-request-id']).toMatch(/^req_/);
    await stillServing();
  });
});

describe('bad bytes in bodies', () => {
  const post = (path: string, body: string | Uint8Array<ArrayBuffer>, contentType = 'application/json') =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { ...bearer(key), 'content-type': contentType }, body });

  it('NUL and lone-surrogate escapes are a 400 naming the field, on both trees and tRPC', async () => {
    for (const [path, body, field] of [
      ['/v1/embeddings', '{"input":["fine","a\\u0000b"]}', 'input.1'],
      ['/infra/ai/embeddings', '{"input":"\\ud800 alone"}', 'input'],
      ['/v1/chat/completions', '{"model":"local:stories260K","messages":[{"role":"user","content":"x\\udc00"}]}', 'messages.0.content'],
      ['/infra/ai/documents/chunk', '{"text":"ok","metadata\\u0000":1}', 'metadata\u0000'],
    ] as const) {
      const answer = await post(path, body);
      expect(answer.status, path).toBe(400);
      const text = JSON.stringify(await answer.json());
      expect(text, path).toContain(JSON.stringify(field).slice(1, -1));
    }
    // A pair is a character, and an escaped backslash is text, not an escape.
    const fine = await post('/infra/ai/documents/chunk', JSON.stringify({ text: 'smile \ud83d\ude00 and \\u0000 as text' }));
    expect(fine.status).toBe(200);
    const trpc = await post('/trpc/infra.ai.documents.chunk', '{"text":"a\\u0000"}');
    expect(trpc.status).toBe(400);
    expect(((await trpc.json()) as any).error.message).toMatch(/^text: contains a NUL/);
  });

  it('a body that is not UTF-8 is a 400', async () => {
    const answer = await post('/v1/embeddings', new Uint8Array(Buffer.concat([Buffer.from('{"input":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])));
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as any).error.message).toMatch(/^body: not valid UTF-8/);
  });

  it('a large body is checked the same way (it is parsed off the event loop) and read back whole', async () => {
    const inputs = Array.from({ length: 400 }, (_, index) => `line ${index} ${'é'.repeat(300)} ${'x'.repeat(400)}`);
    const withNul = JSON.stringify({ input: inputs }).replace('line 371 ', 'line 371 \\u0000');
    expect(withNul.length).toBeGreaterThan(256 * 1024);
    const refused = await post('/v1/embeddings', withNul);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ param: 'input.371', message: expect.stringMatching(/^input\.371: contains a NUL/) });
    const notUtf8 = await post('/v1/embeddings', new Uint8Array(Buffer.concat([Buffer.from(JSON.stringify({ input: inputs })), Buffer.from([0xff])])));
    expect(notUtf8.status).toBe(400);
    // Long and short strings, nested, come back where they were.
    const text = inputs.join('\n');
    const chunked = await post('/infra/ai/documents/chunk', JSON.stringify({ text, max_chars: 2000 }));
    expect(chunked.status).toBe(200);
    const chunks = ((await chunked.json()) as any).data.chunks as { text: string }[];
    expect(chunks[0]!.text.startsWith('line 0 ééé')).toBe(true);
    expect(chunks.at(-1)!.text.endsWith(`${'x'.repeat(400)}`)).toBe(true);
  });

  it('a large answer (it is written off the event loop) is whole JSON', async () => {
    const answer = await post('/v1/embeddings', JSON.stringify({ input: Array.from({ length: 64 }, (_, index) => `sentence number ${index}`), encoding_format: 'float' }));
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as any;
    expect(body.data).toHaveLength(64);
    expect(body.data.every((item: any, index: number) => item.index === index && item.embedding.length === 512)).toBe(true);
  });

  it('form text that is not UTF-8 (a file name, a field) is a 400 naming it; UTF-8 passes', async () => {
    const form = (filename: Buffer, strategy: Buffer) =>
      Buffer.concat([
        Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="'),
        filename,
        Buffer.from('"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x\r\nContent-Disposition: form-data; name="webhook_topic"\r\n\r\n'),
        strategy,
        Buffer.from('\r\n--x--\r\n'),
      ]);
    const send = (body: Buffer) => post('/infra/ai/documents/parse', new Uint8Array(body), 'multipart/form-data; boundary=x');
    const badName = await send(form(Buffer.from([0x61, 0xff, 0x2e, 0x74, 0x78, 0x74]), Buffer.from('topic')));
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as any).error.message).toBe('file.filename: not valid UTF-8');
    const badField = await send(form(Buffer.from('a.txt'), Buffer.from([0x66, 0xc3, 0x28])));
    expect(badField.status).toBe(400);
    expect(((await badField.json()) as any).error.message).toBe('webhook_topic: not valid UTF-8');
    const accented = await send(form(Buffer.from('résumé.txt'), Buffer.from('thème')));
    expect(accented.status).toBe(200);
  });

  it('a form field with a NUL is a 400 naming it', async () => {
    const form = new FormData();
    form.set('file', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
    form.set('webhook_topic', 'topic\u0000');
    const answer = await fetch(`${server.baseUrl}/infra/ai/documents/parse`, { method: 'POST', headers: bearer(key), body: form });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as any).error.message).toMatch(/^webhook_topic: contains a NUL/);
  });
});

describe('anonymous and slow clients', () => {
  it('a tRPC body without a key is refused before it is read, and the connection closed', async () => {
    const declared = 9 * 1024 * 1024;
    const started = Date.now();
    const answer = await raw(`POST /trpc/infra.ai.embeddings.create HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n{"input":"`, { keepOpenMs: 5000 });
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body.error.data.code).toBe('UNAUTHORIZED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a caller with a key refused before its upload ends reads its answer (the rest is discarded), not a reset', async () => {
    // Past MAX_BODY_BYTES (10 MiB), sent whole while the server answers at once.
    const body = Buffer.alloc(12 * 1024 * 1024, 0x20);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(`${server.baseUrl}/v1/embeddings`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json', 'content-length': String(body.length) } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, text }));
      });
      request.on('error', reject);
      request.end(body);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe('payload_too_large');
    await stillServing();
  });

  it('Expect: 100-continue gets its 100 only once admitted: a refused upload is never sent', async () => {
    const upload = (headers: Record<string, string>) =>
      new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const request = httpRequest(`${server.baseUrl}/infra/ai/documents/chunk`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '13', expect: '100-continue', ...headers } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode!, continued }));
        });
        request.on('continue', () => {
          continued = true;
          request.end('{"text":"hi"}');
        });
        request.on('error', reject);
      });
    expect(await upload({})).toEqual({ status: 401, continued: false });
    expect(await upload(bearer(key))).toEqual({ status: 200, continued: true });
  });

  it('a body that stops arriving is a 408 after BODY_IDLE_TIMEOUT_MS', async () => {
    const answer = await raw(
      `POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"input":`,
      { keepOpenMs: 5000 },
    );
    expect(answer.status).toBe(408);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_timeout', param: 'body' });
  });

  it('headers that never end are cut off after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const answer = await raw('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', { keepOpenMs: 5000 });
    expect(answer.status).toBe(408);
    expect(answer.headers.connection).toBe('close');
    await stillServing();
  });
});

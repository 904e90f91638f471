import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** Requests a careless or hostile client sends: each gets a clear 4xx, and costs the server little. */
let server: TestServer;
let key: string;
let bucket: string;

beforeAll(async () => {
  server = await startTestServer({ STORAGE_MAX_OBJECT_BYTES: String(8 * 1024 * 1024), MAX_BODY_BYTES_IN_FLIGHT: String(12 * 1024 * 1024) });
  key = (await server.createKey()).secret;
  const created = await fetch(`${server.baseUrl}/infra/storage/buckets`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'hostile' }),
  });
  bucket = ((await created.json()) as any).data.id;
});
afterAll(() => server.close());

/**
 * Starts an upload that declares `declared` bytes, sends only the first MiB, and resolves with
 * the answer if one comes before the rest is sent: the server judged it without reading the body.
 */
function answerBeforeBody(path: string, headers: Record<string, string>, declared: number): Promise<{ status: number; body: any; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.baseUrl}${path}`, { method: path.includes('/objects/') ? 'PUT' : 'POST', headers: { ...headers, 'content-length': String(declared) } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode!, body: JSON.parse(text), connection: response.headers.connection });
      });
    });
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    request.write(Buffer.alloc(1024 * 1024));
    // The rest of the body never comes: only an answer given without it ends this promise.
  });
}

describe('bodies', () => {
  it('an upload without a valid key is refused before its body is read', async () => {
    const answer = await answerBeforeBody(`/infra/storage/buckets/${bucket}/objects/big.bin`, { 'content-type': 'application/octet-stream' }, 95 * 1024 * 1024);
    expect(answer.status).toBe(401);
    expect(answer.connection).toBe('close');
    const wrongKey = await answerBeforeBody('/infra/ai/documents/parse', { authorization: 'Bearer sk_live_nope', 'content-type': 'multipart/form-data; boundary=x' }, 95 * 1024 * 1024);
    expect(wrongKey.status).toBe(401);
  });

  it('a body declared larger than the route takes is refused before it is read, with a valid key too', async () => {
    const object = await answerBeforeBody(`/infra/storage/buckets/${bucket}/objects/big.bin`, { ...bearer(key), 'content-type': 'application/octet-stream' }, 95 * 1024 * 1024);
    expect(object.status).toBe(413);
    const upload = await answerBeforeBody('/v1/audio/transcriptions', { ...bearer(key), 'content-type': 'multipart/form-data; boundary=x' }, 95 * 1024 * 1024);
    expect(upload.status).toBe(413);
    expect(upload.body.error.message).toMatch(/^body: /);
    const json = await answerBeforeBody('/v1/embeddings', { ...bearer(key), 'content-type': 'application/json' }, 95 * 1024 * 1024);
    expect(json.status).toBe(413);
  });

  it('bodies past what the process holds at once, or past one project\'s share of it, are a 503 to retry, unread', async () => {
    // MAX_BODY_BYTES_IN_FLIGHT is 12 MiB, a project's share a quarter of it. This project holds
    // 7 MiB (a first body always fits): its first MiB sent, the rest never.
    const held = httpRequest(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/held.bin`, {
      method: 'PUT',
      headers: { ...bearer(key), 'content-type': 'application/octet-stream', 'content-length': String(7 * 1024 * 1024) },
    });
    held.on('error', () => undefined);
    held.write(Buffer.alloc(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Past its share: even a small body of the same project waits.
    const sameProject = await answerBeforeBody(`/infra/storage/buckets/${bucket}/objects/second.bin`, { ...bearer(key), 'content-type': 'application/octet-stream' }, 64 * 1024);
    expect(sameProject.status).toBe(503);
    // Its key was checked: the rest of its upload is discarded (bounded), so it reads this answer.
    expect(sameProject.connection).not.toBe('close');
    expect(sameProject.body.error).toMatchObject({ code: 'service_unavailable', message: expect.stringMatching(/MAX_BODY_BYTES_IN_FLIGHT/) });
    // Another project still sends: a small body fits beside the held one, a large one does not (7 + 6 > 12 MiB).
    const other = (await server.createKey()).secret;
    const otherBucket = ((await (await fetch(`${server.baseUrl}/infra/storage/buckets`, { method: 'POST', headers: { ...bearer(other), 'content-type': 'application/json' }, body: '{"name":"other"}' })).json()) as any).data.id;
    const otherObject = (name: string) => `${server.baseUrl}/infra/storage/buckets/${otherBucket}/objects/${name}`;
    const small = await fetch(otherObject('small.bin'), { method: 'PUT', headers: { ...bearer(other), 'content-type': 'text/plain' }, body: 'fits' });
    expect(small.status).toBe(200);
    const refused = await answerBeforeBody(`/infra/storage/buckets/${otherBucket}/objects/large.bin`, { ...bearer(other), 'content-type': 'application/octet-stream' }, 6 * 1024 * 1024);
    expect(refused.status).toBe(503);
    // An anonymous upload borrows nothing: it is refused for its key, not for the budget.
    const anonymous = await answerBeforeBody(`/infra/storage/buckets/${otherBucket}/objects/anonymous.bin`, { 'content-type': 'application/octet-stream' }, 6 * 1024 * 1024);
    expect(anonymous.status).toBe(401);
    expect(anonymous.connection).toBe('close');
    // Once the held upload goes, the large one fits.
    held.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const large = await fetch(otherObject('large.bin'), { method: 'PUT', headers: { ...bearer(other), 'content-type': 'application/octet-stream' }, body: Buffer.alloc(6 * 1024 * 1024) });
    expect(large.status).toBe(200);
  });

  it('JSON nested 100,000 deep is a 400 naming the body, on both trees', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const path of ['/v1/embeddings', '/infra/ai/responses']) {
      const response = await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: `{"input":${deep}}` });
      expect(response.status).toBe(400);
      const body = (await response.json()) as any;
      expect(JSON.stringify(body)).toMatch(/body: JSON nested deeper than 128 levels/);
    }
    // Brackets inside strings are text, not nesting.
    const text = await fetch(`${server.baseUrl}/infra/ai/documents/chunk`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ text: '[{'.repeat(10_000) }),
    });
    expect(text.status).toBe(200);
  });
});

describe('storage under concurrent writers', () => {
  it('leaves one writer’s object whole: bytes, size and ETag agree', async () => {
    const url = `${server.baseUrl}/infra/storage/buckets/${bucket}/objects/contended.txt`;
    const bodies = Array.from({ length: 8 }, (_, index) => Buffer.alloc(index === 0 ? 10 : 5000 + index * 997, String.fromCharCode(97 + index)));
    const answers = await Promise.all(bodies.map((body) => fetch(url, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'text/plain' }, body })));
    for (const answer of answers) expect(answer.status).toBe(200);
    for (let read = 0; read < 3; read++) {
      const head = await fetch(url, { method: 'HEAD', headers: bearer(key) });
      const got = await fetch(url, { headers: bearer(key) });
      const bytes = Buffer.from(await got.arrayBuffer());
      expect(bodies.some((body) => body.equals(bytes))).toBe(true);
      expect(got.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
      expect(Number(got.headers.get('content-length'))).toBe(bytes.length);
      expect(head.headers.get('etag')).toBe(got.headers.get('etag'));
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('keeps bytes and metadata together while writers and readers interleave', async () => {
    const url = `${server.baseUrl}/infra/storage/buckets/${bucket}/objects/busy.txt`;
    const writes = Array.from({ length: 6 }, (_, index) =>
      fetch(url, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'text/plain' }, body: Buffer.alloc(100 * (index + 1), 'x') }),
    );
    await writes[0];
    const reads = Array.from({ length: 12 }, () => fetch(url, { headers: bearer(key) }).then(async (got) => ({ got, bytes: Buffer.from(await got.arrayBuffer()) })));
    await Promise.all(writes);
    for (const { got, bytes } of await Promise.all(reads)) {
      if (got.status !== 200) continue;
      expect(got.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    }
  });
});

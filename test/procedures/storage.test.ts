import { request } from 'node:http';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let key: string;
let dataDir: string;
let bucket: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ai-storage-'));
  await chmod(dataDir, 0o755);
  server = await startTestServer({ DATA_DIR: dataDir, STORAGE_MAX_OBJECT_BYTES: '4096' });
  key = (await server.createKey()).secret;
  bucket = (await json('POST', '/infra/storage/buckets', { name: 'docs' })).body.data.id;
});
afterAll(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function json(method: string, urlPath: string, body?: unknown, secret = key) {
  const response = await fetch(server.baseUrl + urlPath, {
    method,
    headers: { ...bearer(secret), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const objectUrl = (objectKey: string, bucketId = bucket) => `${server.baseUrl}/infra/storage/buckets/${bucketId}/objects/${objectKey}`;

function put(objectKey: string, body: string | Uint8Array<ArrayBuffer>, contentType = 'text/plain', secret = key) {
  return fetch(objectUrl(objectKey), { method: 'PUT', headers: { ...bearer(secret), 'content-type': contentType }, body });
}

describe('buckets', () => {
  it('creates, refuses a duplicate name, and lists', async () => {
    expect(bucket).toMatch(/^sb_/);
    const duplicate = await json('POST', '/infra/storage/buckets', { name: 'docs' });
    expect(duplicate.status).toBe(409);
    expect((await json('POST', '/infra/storage/buckets', { name: 'Bad Name' })).status).toBe(400);
    const listed = await json('GET', '/infra/storage/buckets');
    expect(listed.body.data.map((item: { name: string }) => item.name)).toEqual(['docs']);
  });
});

describe('objects', () => {
  it('puts, gets, heads, lists by prefix and deletes, keeping the content type', async () => {
    const stored = await put('reports/2026/q1.json', '{"total":3}', 'application/json');
    expect(stored.status).toBe(200);
    expect((await stored.json()).data).toMatchObject({ key: 'reports/2026/q1.json', content_type: 'application/json', size: 11 });
    await put('reports/2026/q2.txt', 'second');
    await put('other.bin', new Uint8Array([0, 1, 2, 255]), 'application/octet-stream');

    const fetched = await fetch(objectUrl('reports/2026/q1.json'), { headers: bearer(key) });
    expect(fetched.headers.get('content-type')).toBe('application/json');
    expect(await fetched.text()).toBe('{"total":3}');
    const binary = new Uint8Array(await (await fetch(objectUrl('other.bin'), { headers: bearer(key) })).arrayBuffer());
    expect([...binary]).toEqual([0, 1, 2, 255]);

    const head = await fetch(objectUrl('reports/2026/q2.txt'), { method: 'HEAD', headers: bearer(key) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect(head.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);

    const listed = await json('GET', `/infra/storage/buckets/${bucket}/objects?prefix=reports/`);
    expect(listed.body.data.map((item: { key: string }) => item.key)).toEqual(['reports/2026/q1.json', 'reports/2026/q2.txt']);
    const paged = await json('GET', `/infra/storage/buckets/${bucket}/objects?limit=1&after=other.bin`);
    expect(paged.body.data.map((item: { key: string }) => item.key)).toEqual(['reports/2026/q1.json']);

    const deleted = await fetch(objectUrl('reports/2026/q2.txt'), { method: 'DELETE', headers: bearer(key) });
    expect(deleted.status).toBe(200);
    expect((await fetch(objectUrl('reports/2026/q2.txt'), { headers: bearer(key) })).status).toBe(404);
    expect((await fetch(objectUrl('reports/2026/q2.txt'), { method: 'DELETE', headers: bearer(key) })).status).toBe(404);
  });

  it('overwrites an object in place', async () => {
    await put('notes.txt', 'one');
    await put('notes.txt', 'two, longer', 'text/markdown');
    const fetched = await fetch(objectUrl('notes.txt'), { headers: bearer(key) });
    expect(fetched.headers.get('content-type')).toBe('text/markdown');
    expect(await fetched.text()).toBe('two, longer');
  });

  /** A PUT whose path goes out byte for byte (fetch would resolve `..` and `%2e%2e` itself first). */
  function rawPut(rawKey: string): Promise<{ status: number; body: any }> {
    const url = new URL(server.baseUrl);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        { host: url.hostname, port: url.port, method: 'PUT', path: `/infra/storage/buckets/${bucket}/objects/${rawKey}`, headers: { ...bearer(key), 'content-type': 'text/plain' } },
        (incoming) => {
          let text = '';
          incoming.on('data', (chunk) => (text += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode!, body: JSON.parse(text) }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end('nope');
    });
  }

  it('rejects traversal and malformed keys, whichever way they are spelled', async () => {
    const attempts = ['../escape.txt', 'a/../../escape.txt', '..%2Fescape.txt', '%2e%2e/escape.txt', 'a/%2e%2e/%2e%2e/escape.txt', '%2Fetc%2Fpasswd', 'a%5C..%5Cb', 'a//b', './x', 'a/./b', 'a%00b'];
    for (const attempt of attempts) {
      const response = await rawPut(attempt);
      expect(response.status, attempt).toBe(400);
      expect(response.body.error.message, attempt).toMatch(/^key: /);
    }
    // Whatever reaches the filesystem lands as hashed names inside the bucket folder, nowhere else.
    const storageRoot = path.join(dataDir, 'storage');
    expect(await readdir(storageRoot)).toEqual([bucket]);
    for (const file of await readdir(path.join(storageRoot, bucket))) expect(file).toMatch(/^[0-9a-f]{64}$/);
  });

  it("answers 404 for another project's bucket and 413 over the size limit", async () => {
    const stranger = (await server.createKey()).secret;
    expect((await put('x.txt', 'data', 'text/plain', stranger)).status).toBe(404);
    expect((await fetch(objectUrl('notes.txt'), { headers: bearer(stranger) })).status).toBe(404);
    expect((await json('GET', `/infra/storage/buckets/${bucket}/objects`, undefined, stranger)).status).toBe(404);
    const tooBig = await put('big.bin', new Uint8Array(5000), 'application/octet-stream');
    expect(tooBig.status).toBe(413);
  });

  it('needs a key and the right scope', async () => {
    expect((await fetch(objectUrl('notes.txt'))).status).toBe(401);
    const readOnly = (await server.createKey(['ai:read'])).secret;
    expect((await put('x.txt', 'data', 'text/plain', readOnly)).status).toBe(403);
  });
});

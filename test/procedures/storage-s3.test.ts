import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeS3 } from '../fakes/fake-s3.ts';

let s3: Awaited<ReturnType<typeof startFakeS3>>;
let server: TestServer;
let key: string;

beforeAll(async () => {
  s3 = await startFakeS3();
  server = await startTestServer({
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: s3.baseUrl,
    S3_BUCKET: 'ai-objects',
    S3_ACCESS_KEY_ID: 'test',
    S3_SECRET_ACCESS_KEY: 'test-secret',
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await s3.close();
});

describe('the S3 backend', () => {
  it('stores object bytes under <bucket id>/<key> in the configured S3 bucket', async () => {
    const created = await fetch(`${server.baseUrl}/infra/storage/buckets`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'remote' }),
    });
    const bucket = ((await created.json()) as any).data.id as string;
    const url = `${server.baseUrl}/infra/storage/buckets/${bucket}/objects/dir/file.txt`;

    const put = await fetch(url, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'text/plain' }, body: 'hello s3' });
    expect(put.status).toBe(200);
    expect(s3.objects.get(`/ai-objects/${bucket}/dir/file.txt`)?.toString()).toBe('hello s3');
    expect(s3.requests.at(-1)!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);

    const got = await fetch(url, { headers: bearer(key) });
    expect(got.headers.get('content-type')).toBe('text/plain');
    expect(await got.text()).toBe('hello s3');

    expect((await fetch(url, { method: 'DELETE', headers: bearer(key) })).status).toBe(200);
    expect(s3.objects.has(`/ai-objects/${bucket}/dir/file.txt`)).toBe(false);
    expect((await fetch(url, { headers: bearer(key) })).status).toBe(404);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../schema/db/queries/api-keys.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let fullKey: string;
let readOnlyKey: string;
let revokedKey: string;

beforeAll(async () => {
  server = await startTestServer();
  fullKey = (await server.createKey()).secret;
  readOnlyKey = (await server.createKey(['ai:read'])).secret;
  const revoked = await server.createKey();
  revokedKey = revoked.secret;
  await revokeApiKey(server.running.services.db, revoked.keyId);
});
afterAll(() => server.close());

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.baseUrl + path, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
}

const unknownKey = `sk_live_${'A'.repeat(40)}`;

describe.each([
  { tree: 'native', path: '/infra/ai/models' },
  { tree: 'openai', path: '/v1/models' },
])('auth on the $tree tree ($path)', ({ tree, path }) => {
  const expectError = (body: Record<string, any>, nativeCode: string, openAiType: string) => {
    if (tree === 'native') {
      expect(body.status).toBe('error');
      expect(body.error.code).toBe(nativeCode);
      expect(body.error.request_id).toMatch(/^req_/);
    } else {
      expect(body.error.type).toBe(openAiType);
      expect(body.error).toHaveProperty('param');
      expect(body.error).toHaveProperty('code');
    }
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  };

  it('answers 401 without a key', async () => {
    const response = await get(path);
    expect(response.status).toBe(401);
    expectError(response.body, 'unauthorized', 'invalid_request_error');
    expect(JSON.stringify(response.body)).toContain('Missing API key');
  });

  it('answers 401 for a malformed header or key: a header that is not "Bearer <key>" is malformed, a wrong key is a wrong key', async () => {
    for (const header of ['Basic abc', 'Bearer']) {
      const response = await get(path, { authorization: header });
      expect(response.status, header).toBe(401);
      expectError(response.body, 'unauthorized', 'invalid_request_error');
      expect(JSON.stringify(response.body), header).toContain('Malformed Authorization header');
    }
    for (const header of ['Bearer not-a-key', `Bearer ${fullKey}x`, 'Bearer sk_live_short']) {
      const response = await get(path, { authorization: header });
      expect(response.status, header).toBe(401);
      expect(JSON.stringify(response.body), header).toContain('Invalid or revoked API key');
    }
  });

  it('answers 401 for an unknown key', async () => {
    const response = await get(path, bearer(unknownKey));
    expect(response.status).toBe(401);
    expectError(response.body, 'unauthorized', 'invalid_request_error');
  });

  it('answers 401 for a revoked key', async () => {
    const response = await get(path, bearer(revokedKey));
    expect(response.status).toBe(401);
    expect(JSON.stringify(response.body)).toContain('revoked');
  });

  it('answers 200 for a key with the route scope', async () => {
    expect((await get(path, bearer(fullKey))).status).toBe(200);
    expect((await get(path, bearer(readOnlyKey))).status).toBe(200);
  });
});

describe('scopes', () => {
  it('answers 403 when the key lacks the route scope, on both trees', async () => {
    const generateOnly = (await server.createKey(['ai:generate'])).secret;
    const native = await get('/infra/ai/models', bearer(generateOnly));
    expect(native.status).toBe(403);
    expect(native.body.error.code).toBe('forbidden');
    expect(native.body.error.message).toContain('ai:read');
    const openai = await get('/v1/models', bearer(generateOnly));
    expect(openai.status).toBe(403);
    expect(openai.body.error.type).toBe('permission_error');
  });
});

describe('revocation', () => {
  it('takes effect at once for a key the server has already cached', async () => {
    const key = await server.createKey();
    expect((await get('/v1/models', bearer(key.secret))).status).toBe(200);
    await revokeApiKey(server.running.services.db, key.keyId);
    // The eviction arrives by NOTIFY; allow it a bounded number of round trips.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 401; attempt++) {
      status = (await get('/v1/models', bearer(key.secret))).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(401);
  });
});

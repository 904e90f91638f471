import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** Browser apps call the API from their own origin: preflights are answered, headers exposed. */
let open: TestServer;
let restricted: TestServer;
let key: string;

beforeAll(async () => {
  open = await startTestServer();
  restricted = await startTestServer({ CORS_ALLOWED_ORIGINS: 'https://app.example' });
  key = (await open.createKey()).secret;
});
afterAll(async () => {
  await open.close();
  await restricted.close();
});

const preflight = (server: TestServer, origin: string) =>
  fetch(`${server.baseUrl}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os' },
  });

describe('CORS', () => {
  it('answers preflights without a key, allowing the headers the browser asks for', async () => {
    const answer = await preflight(open, 'https://anywhere.example');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
    expect(answer.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-stainless-os');
  });

  it('exposes the request id and rate-limit headers to browser code', async () => {
    const answer = await fetch(`${open.baseUrl}/v1/models`, { headers: { ...bearer(key), origin: 'https://anywhere.example' } });
    expect(answer.status).toBe(200);
    const exposed = answer.headers.get('access-control-expose-headers')!.split(',');
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'retry-after', 'x-ratelimit-remaining-requests']));
  });

  it('allows only the configured origins when CORS_ALLOWED_ORIGINS is set', async () => {
    expect((await preflight(restricted, 'https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await preflight(restricted, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('documents a relative server, so /docs works on whatever host it is opened', async () => {
    const document = (await (await fetch(`${open.baseUrl}/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(document.servers).toEqual([{ url: '/' }]);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** A realtime upstream on loopback speaking OpenAI's event protocol: answers response.create with deltas and response.done. */
async function startFakeRealtime() {
  const seen: { url: string; authorization: string | undefined; events: any[] }[] = [];
  const http: Server = createServer();
  const sockets = new WebSocketServer({ server: http });
  sockets.on('connection', (socket, request) => {
    const connection = { url: request.url!, authorization: request.headers.authorization, events: [] as any[] };
    seen.push(connection);
    socket.send(JSON.stringify({ type: 'session.created', session: { model: new URL(request.url!, 'http://x').searchParams.get('model') } }));
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString());
      connection.events.push(event);
      if (event.type === 'response.create') {
        socket.send(JSON.stringify({ type: 'response.output_text.delta', delta: 'Hel' }));
        socket.send(JSON.stringify({ type: 'response.output_text.delta', delta: 'lo' }));
        socket.send(JSON.stringify({ type: 'response.done' }));
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1/realtime`,
    seen,
    close: () => new Promise<void>((resolve) => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      http.close(() => resolve());
    }),
  };
}

let upstream: Awaited<ReturnType<typeof startFakeRealtime>>;
let server: TestServer;
let key: string;

beforeAll(async () => {
  upstream = await startFakeRealtime();
  server = await startTestServer({ REALTIME_UPSTREAM_URL: upstream.url, REALTIME_API_KEY: 'sk-provider-secret', REALTIME_MODELS: 'gpt-4o-realtime-preview' });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

async function mint(path: string, body: object) {
  const response = await fetch(server.baseUrl + path, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, protocols?: string[]) {
  return new Promise<{ socket: WebSocket; events: any[] }>((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    const events: any[] = [];
    socket.on('message', (data) => events.push(JSON.parse(data.toString())));
    socket.once('open', () => resolve({ socket, events }));
    socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error('refused'), { status: response.statusCode })));
    socket.once('error', reject);
  });
}

async function waitFor<T>(check: () => T | undefined): Promise<T> {
  for (let poll = 0; poll < 200; poll++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}

describe('realtime sessions', () => {
  it('mints a short-lived client secret and a proxy URL, on both trees', async () => {
    const native = await mint('/infra/ai/realtime/sessions', { ttl_seconds: 120, voice: 'alloy' });
    expect(native.status).toBe(200);
    expect(native.body.data).toMatchObject({ object: 'realtime.session', model: 'realtime:gpt-4o-realtime-preview', voice: 'alloy' });
    expect(native.body.data.client_secret.value).toMatch(/^ek_/);
    expect(native.body.data.expires_at - Date.now() / 1000).toBeGreaterThan(100);
    expect(native.body.data.proxy_url).toMatch(/^ws:\/\/.*\/v1\/realtime$/);
    const compat = await mint('/v1/realtime/sessions', {});
    expect(compat.body.id).toMatch(/^sess_/);
  });

  it('proxies the websocket with the server credentials, applying the minted settings', async () => {
    const { body } = await mint('/v1/realtime/sessions', { voice: 'verse', instructions: 'Be brief.' });
    const url = `${server.baseUrl.replace('http', 'ws')}/v1/realtime`;
    const { socket, events } = await connect(url, { headers: { authorization: `Bearer ${body.client_secret.value}` } });
    socket.send(JSON.stringify({ type: 'response.create' }));
    await waitFor(() => (events.some((event) => event.type === 'response.done') ? true : undefined));
    expect(events.map((event) => event.type)).toEqual(['session.created', 'response.output_text.delta', 'response.output_text.delta', 'response.done']);
    const connection = upstream.seen.at(-1)!;
    expect(connection.authorization).toBe('Bearer sk-provider-secret');
    expect(connection.url).toContain('model=gpt-4o-realtime-preview');
    expect(connection.events[0]).toEqual({ type: 'session.update', session: { voice: 'verse', instructions: 'Be brief.' } });
    socket.close();
  });

  it("accepts the browser subprotocol form of the secret", async () => {
    const { body } = await mint('/v1/realtime/sessions', {});
    const { socket } = await connect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`, {}, ['realtime', `openai-insecure-api-key.${body.client_secret.value}`]);
    expect(socket.protocol).toBe('realtime');
    socket.close();
  });

  it('refuses a missing, unknown or expired secret with 401', async () => {
    const url = `${server.baseUrl.replace('http', 'ws')}/v1/realtime`;
    await expect(connect(url)).rejects.toMatchObject({ status: 401 });
    await expect(connect(url, { headers: { authorization: 'Bearer ek_unknown' } })).rejects.toMatchObject({ status: 401 });
    await expect(connect(url, { headers: { authorization: `Bearer ${key}` } })).rejects.toMatchObject({ status: 401 });
  });

  it('validates ttl_seconds', async () => {
    expect((await mint('/v1/realtime/sessions', { ttl_seconds: 10 })).status).toBe(400);
    expect((await mint('/infra/ai/realtime/sessions', { ttl_seconds: 3601 })).status).toBe(400);
  });
});

describe('without a realtime upstream', () => {
  it('answers 501 Realtime proxy not configured', async () => {
    const plain = await startTestServer();
    try {
      const secret = (await plain.createKey()).secret;
      const response = await fetch(`${plain.baseUrl}/v1/realtime/sessions`, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(501);
      expect(((await response.json()) as any).error.message).toMatch(/Realtime proxy not configured/);
      await expect(connect(`${plain.baseUrl.replace('http', 'ws')}/v1/realtime`)).rejects.toMatchObject({ status: 501 });
    } finally {
      await plain.close();
    }
  });
});

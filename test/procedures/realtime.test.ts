import { createServer, request as httpRequest, type Server } from 'node:http';
import { findBalance, listRecentUsage } from '../../schema/db/queries/ledger.ts';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** A realtime upstream on loopback speaking OpenAI's event protocol: answers response.create with deltas and response.done. */
async function startFakeRealtime() {
  const seen: { url: string; authorization: string | undefined; events: any[] }[] = [];
  const http: Server = createServer();
  const sockets = new WebSocketServer({ server: http });
  let responses = 0;
  sockets.on('connection', (socket, request) => {
    const connection = { url: request.url!, authorization: request.headers.authorization, events: [] as any[] };
    seen.push(connection);
    socket.send(JSON.stringify({ type: 'session.created', session: { model: new URL(request.url!, 'http://x').searchParams.get('model') } }));
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString());
      connection.events.push(event);
      if (event.type === 'response.create') {
        const id = `resp_${++responses}`;
        socket.send(JSON.stringify({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress' } }));
        socket.send(JSON.stringify({ type: 'response.output_text.delta', response_id: id, delta: 'Hel' }));
        socket.send(JSON.stringify({ type: 'response.output_text.delta', response_id: id, delta: 'lo' }));
        socket.send(JSON.stringify({ type: 'response.done', response: { id, object: 'realtime.response', status: 'completed', usage: { input_tokens: 1000, output_tokens: 500, total_tokens: 1500 } } }));
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
  server = await startTestServer({
    REALTIME_UPSTREAM_URL: upstream.url,
    REALTIME_API_KEY: 'sk-provider-secret',
    REALTIME_MODELS: 'gpt-4o-realtime-preview',
    REALTIME_INPUT_PER_MILLION: '100',
    REALTIME_OUTPUT_PER_MILLION: '200',
  });
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
    expect(events.map((event) => event.type)).toEqual(['session.created', 'response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.done']);
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

  it('opens one relay per secret: a second connect with it is refused', async () => {
    const { body } = await mint('/v1/realtime/sessions', {});
    const url = `${server.baseUrl.replace('http', 'ws')}/v1/realtime`;
    const headers = { authorization: `Bearer ${body.client_secret.value}` };
    const [first, second] = await Promise.allSettled([connect(url, { headers }), connect(url, { headers })]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const opened = (first.status === 'fulfilled' ? first : second) as PromiseFulfilledResult<{ socket: WebSocket }>;
    const refused = (first.status === 'rejected' ? first : second) as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ status: 401 });
    opened.value.socket.close();
  });

  it('opens nothing upstream for an invalid handshake, and does not spend the secret on it', async () => {
    const { body } = await mint('/v1/realtime/sessions', {});
    const connections = upstream.seen.length;
    const invalid = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${server.baseUrl}/v1/realtime`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'not-a-key', 'sec-websocket-version': '13', authorization: `Bearer ${body.client_secret.value}` },
      });
      request.on('response', (response) => resolve(response.statusCode!));
      request.on('upgrade', () => reject(new Error('upgraded')));
      request.on('error', reject);
      request.end();
    });
    expect(invalid).toBe(400);
    expect(upstream.seen.length).toBe(connections);
    const { socket } = await connect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`, { headers: { authorization: `Bearer ${body.client_secret.value}` } });
    socket.close();
  });

  it('closes the relay when the session expires', async () => {
    const { body } = await mint('/v1/realtime/sessions', {});
    await server.running.services.db.updateTable('realtime_sessions').set({ expires_at: new Date(Date.now() + 500) } as never).where('id', '=', body.id).execute();
    const relay = await connect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`, { headers: { authorization: `Bearer ${body.client_secret.value}` } });
    const code = await new Promise<number>((resolve) => relay.socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4001);
    expect(relay.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'session_expired' } });
  });

  /** A relay for a key holding `funds`, and what its project's relay usage comes to. */
  async function relayFor(funds: string) {
    const poor = await server.createKey(['ai:read', 'ai:generate'], funds);
    const minted = await fetch(`${server.baseUrl}/v1/realtime/sessions`, { method: 'POST', headers: { ...bearer(poor.secret), 'content-type': 'application/json' }, body: '{}' });
    const session = (await minted.json()) as any;
    const relay = await connect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`, { headers: { authorization: `Bearer ${session.client_secret.value}` } });
    const closed = new Promise<number>((resolve) => relay.socket.once('close', (code) => resolve(code)));
    const records = async (count: number) => {
      const relayed = async () => (await listRecentUsage(server.running.services.db, poor.projectId, 50)).filter((record) => record.primitive === 'realtime.relay');
      for (let poll = 0; poll < 100 && (await relayed()).length < count; poll++) await new Promise((resolve) => setTimeout(resolve, 20));
      return relayed();
    };
    // Charges are written in batches: the balance is read once they have been.
    const balance = async (expected: string) => {
      let seen = await findBalance(server.running.services.db, poor.projectId);
      for (let poll = 0; poll < 100 && seen !== expected; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = await findBalance(server.running.services.db, poor.projectId);
      }
      return seen;
    };
    return { relay, closed, records, balance };
  }

  // Each response costs 1000 × 100 + 500 × 200 per million = 0.2 tokens; before it reaches the
  // client, its input (the last response's) and 4,096 tokens of output are reserved (0.8192 + 0.1).
  it('charges each response before the client gets it, and closes the relay at the first one the balance cannot cover', async () => {
    const { relay, closed, records, balance } = await relayFor('1.3');
    relay.socket.send(JSON.stringify({ type: 'response.create' }));
    await waitFor(() => (relay.events.filter((event) => event.type === 'response.done').length === 1 ? true : undefined));
    relay.socket.send(JSON.stringify({ type: 'response.create' }));
    relay.socket.send(JSON.stringify({ type: 'response.create' }));
    expect(await closed).toBe(4002);
    expect(relay.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'insufficient_quota' } });
    // The third response was refused whole: none of its events reached the client.
    expect(relay.events.filter((event) => event.type === 'response.done')).toHaveLength(2);
    expect(relay.events.filter((event) => event.type === 'response.output_text.delta')).toHaveLength(4);
    expect((await records(2)).map((record) => record.tokens_charged)).toEqual(['0.200000000000', '0.200000000000']);
    expect(await balance('0.899999000000')).toBe('0.899999000000');
  });

  it('gives a session whose balance only paid its mint no response at all', async () => {
    const { relay, closed, records, balance } = await relayFor('0.000001');
    relay.socket.send(JSON.stringify({ type: 'response.create' }));
    expect(await closed).toBe(4002);
    expect(relay.events.filter((event) => event.type.startsWith('response.'))).toEqual([]);
    expect(await records(0)).toEqual([]);
    expect(await balance('0.000000000000')).toBe('0.000000000000');
  });

  it('delivers nothing unpaid from a burst of 20 responses: every response received is charged and recorded', async () => {
    const { relay, closed, records, balance } = await relayFor('1');
    for (let index = 0; index < 20; index++) relay.socket.send(JSON.stringify({ type: 'response.create' }));
    expect(await closed).toBe(4002);
    const received = relay.events.filter((event) => event.type === 'response.done').length;
    expect(received).toBe(1);
    const charged = await records(received);
    expect(charged).toHaveLength(received);
    expect(await balance('0.799999000000')).toBe('0.799999000000');
  });

  it('mints through the current SDK route, realtime.clientSecrets.create, and the secret opens the relay', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    const secret = await client.realtime.clientSecrets.create({
      expires_after: { anchor: 'created_at', seconds: 120 },
      session: { type: 'realtime', instructions: 'Be brief.', audio: { output: { voice: 'marin' } } },
    });
    expect(secret.value).toMatch(/^ek_/);
    expect(secret.expires_at - Date.now() / 1000).toBeGreaterThan(100);
    expect(secret.session).toMatchObject({ type: 'realtime', model: 'realtime:gpt-4o-realtime-preview', instructions: 'Be brief.' });
    const { socket } = await connect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`, { headers: { authorization: `Bearer ${secret.value}` } });
    const update = await waitFor(() => upstream.seen.at(-1)!.events.find((event) => event.type === 'session.update'));
    expect(update.session).toEqual({ voice: 'marin', instructions: 'Be brief.' });
    socket.close();
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
      // A malformed body is the caller's 400 first, here as anywhere.
      for (const [path, body] of [
        ['/v1/realtime/sessions', { ttl_seconds: 'soon' }],
        ['/infra/ai/realtime/sessions', { unknown_field: 1 }],
        ['/v1/realtime/client_secrets', { session: { type: 'transcription' } }],
      ] as const) {
        const malformed = await fetch(`${plain.baseUrl}${path}`, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(malformed.status, path).toBe(400);
      }
      await expect(connect(`${plain.baseUrl.replace('http', 'ws')}/v1/realtime`)).rejects.toMatchObject({ status: 501 });
    } finally {
      await plain.close();
    }
  });
});

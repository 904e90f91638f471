import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

interface Received {
  /** When it arrived (Date.now()). */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on loopback: answers each path with the statuses queued for it, then 200;
 * paths under `/hang` are never answered (until it closes), like endpoints that time out.
 */
async function startReceiver() {
  const received: Received[] = [];
  const plans = new Map<string, number[]>();
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ at: Date.now(), path: req.url!, headers: req.headers, body });
      if (req.url!.startsWith('/hang')) return void hanging.push(res);
      const status = plans.get(req.url!)?.shift() ?? 200;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    failFirst: (path: string, statuses: number[]) => plans.set(path, statuses),
    close: () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The Standard Webhooks check, written from the spec rather than with the service's own code. */
function signatureIsValid(secret: string, delivery: Received): boolean {
  const id = delivery.headers['webhook-id'] as string;
  const timestamp = delivery.headers['webhook-timestamp'] as string;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest('base64');
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 60;
  return fresh && (delivery.headers['webhook-signature'] as string).split(' ').includes(`v1,${expected}`);
}

async function waitFor<T>(check: () => T | undefined, polls = 200): Promise<T> {
  for (let poll = 0; poll < polls; poll++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}

let fake: FakeUpstream;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  receiver = await startReceiver();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['echo', 'refuses', 'sleepy'] }]),
    WEBHOOK_RETRY_DELAY_SECONDS: '1',
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await receiver.close();
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, as = key) {
  const response = await fetch(server.baseUrl + path, {
    method,
    headers: { ...bearer(as), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const createEndpoint = async (path: string, topics: string[]) => (await call('POST', '/infra/webhooks/endpoints', { url: receiver.url(path), topics })).body.data;
const chatAsync = (model: string, topic: string) =>
  call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hook' }], async: true, webhook_topic: topic });

describe('webhook endpoints', () => {
  it('are created with a secret shown once, listed and deleted', async () => {
    const endpoint = await createEndpoint('/crud', ['crud']);
    expect(endpoint.id).toMatch(/^wh_/);
    expect(endpoint.secret).toMatch(/^whsec_/);
    const listed = (await call('GET', '/infra/webhooks/endpoints')).body.data;
    const mine = listed.find((item: { id: string }) => item.id === endpoint.id);
    expect(mine).toMatchObject({ url: receiver.url('/crud'), topics: ['crud'] });
    expect(mine.secret).toBeUndefined();
    expect((await call('DELETE', `/infra/webhooks/endpoints/${endpoint.id}`)).status).toBe(200);
    expect((await call('DELETE', `/infra/webhooks/endpoints/${endpoint.id}`)).status).toBe(404);
    expect((await call('POST', '/infra/webhooks/endpoints', { url: 'ftp://example.com', topics: ['x'] })).body.error.message).toMatch(/^url: /);
  });
});

describe('operation events', () => {
  it('sends a signed ai.operation.succeeded to endpoints subscribed to the topic (and to *), not to others', async () => {
    const subscribed = await createEndpoint('/reports', ['reports']);
    const everything = await createEndpoint('/everything', ['*']);
    await createEndpoint('/unrelated', ['billing']);
    const accepted = await chatAsync('fake:echo', 'reports');
    await waitForOperation(server.baseUrl, key, accepted.body.id, ['succeeded']);

    const delivery = await waitFor(() => receiver.received.find((item) => item.path === '/reports'));
    expect(signatureIsValid(subscribed.secret, delivery)).toBe(true);
    expect(signatureIsValid(everything.secret, delivery)).toBe(false);
    const event = JSON.parse(delivery.body);
    expect(event).toMatchObject({ type: 'ai.operation.succeeded', topic: 'reports', data: { id: accepted.body.id, status: 'succeeded', kind: 'chat.completions' } });
    expect(event.data.result.choices[0].message.content).toBe('echo: hook');

    const catchAll = await waitFor(() => receiver.received.find((item) => item.path === '/everything'));
    expect(signatureIsValid(everything.secret, catchAll)).toBe(true);
    expect(receiver.received.some((item) => item.path === '/unrelated')).toBe(false);
  });

  it('sends ai.operation.failed and ai.operation.cancelled', async () => {
    await createEndpoint('/outcomes', ['outcomes']);
    const refused = await chatAsync('fake:refuses', 'outcomes');
    await waitForOperation(server.baseUrl, key, refused.body.id, ['failed']);
    const sleepy = await chatAsync('fake:sleepy', 'outcomes');
    await waitForOperation(server.baseUrl, key, sleepy.body.id, ['processing'], 10);
    await call('POST', `/infra/ai/operations/${sleepy.body.id}/cancel`, {});

    const events = await waitFor(() => {
      const found = receiver.received.filter((item) => item.path === '/outcomes').map((item) => JSON.parse(item.body));
      return found.length === 2 ? found : undefined;
    });
    const byOperation = Object.fromEntries(events.map((event) => [event.data.id, event]));
    expect(byOperation[refused.body.id]).toMatchObject({ type: 'ai.operation.failed', data: { error: { code: 'bad_request' } } });
    expect(byOperation[sleepy.body.id]).toMatchObject({ type: 'ai.operation.cancelled', data: { status: 'cancelled' } });
  });

  it('retries a failing receiver with backoff and records every attempt', async () => {
    receiver.failFirst('/flaky', [500, 503]);
    const endpoint = await createEndpoint('/flaky', ['flaky']);
    const accepted = await chatAsync('fake:echo', 'flaky');
    await waitForOperation(server.baseUrl, key, accepted.body.id, ['succeeded']);
    await waitFor(() => (receiver.received.filter((item) => item.path === '/flaky').length === 3 ? true : undefined), 300);

    let deliveries: any[] = [];
    for (let poll = 0; poll < 100 && deliveries[0]?.status !== 'succeeded'; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      deliveries = (await call('GET', `/infra/webhooks/deliveries?operation_id=${accepted.body.id}&endpoint_id=${endpoint.id}`)).body.data;
    }
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].status).toBe('succeeded');
    expect(deliveries[0].attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([500, 503, 200]);
    expect(deliveries[0].attempts.map((attempt: { attempt: number }) => attempt.attempt)).toEqual([1, 2, 3]);
    const ids = receiver.received.filter((item) => item.path === '/flaky').map((item) => item.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
  });
});

describe('private targets', () => {
  it('are refused unless configuration allows them', async () => {
    const guarded = await startTestServer({
      OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['echo'] }]),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
    });
    try {
      const secret = (await guarded.createKey()).secret;
      const post = async (path: string, body: unknown) => {
        const response = await fetch(guarded.baseUrl + path, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: response.status, body: (await response.json()) as any };
      };
      for (const url of ['http://127.0.0.1:9/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest']) {
        const refused = await post('/infra/webhooks/endpoints', { url, topics: ['x'] });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.message).toMatch(/^url: must not point at a private/);
      }
      // A name that resolves to loopback passes creation and is refused when connecting.
      const named = await post('/infra/webhooks/endpoints', { url: `http://localhost:${receiver.port}/sneaky`, topics: ['sneaky'] });
      expect(named.status).toBe(200);
      const accepted = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'x' }], async: true, webhook_topic: 'sneaky' });
      await waitForOperation(guarded.baseUrl, secret, accepted.body.id, ['succeeded']);
      let delivery;
      for (let poll = 0; poll < 100 && delivery?.status !== 'failed'; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const response = await fetch(`${guarded.baseUrl}/infra/webhooks/deliveries?operation_id=${accepted.body.id}`, { headers: bearer(secret) });
        delivery = ((await response.json()) as any).data[0];
      }
      expect(delivery.status).toBe('failed');
      expect(delivery.attempts).toHaveLength(1);
      expect(delivery.attempts[0].error).toMatch(/private, loopback or link-local/);
      expect(receiver.received.some((item) => item.path === '/sneaky')).toBe(false);
    } finally {
      await guarded.close();
    }
  });
});

describe('fair delivery', () => {
  it("gives a project's endpoints that hang only its own share of the slots: another project's delivery still goes at once", async () => {
    // Project A: six endpoints that never answer (each attempt holds a slot until WEBHOOK_TIMEOUT_MS).
    const slow = (await server.createKey()).secret;
    for (let index = 1; index <= 6; index++) {
      await call('POST', '/infra/webhooks/endpoints', { url: receiver.url(`/hang-${index}`), topics: ['slow'] }, slow);
    }
    const stuck = await call('POST', '/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'a' }], async: true, webhook_topic: 'slow' }, slow);
    await waitForOperation(server.baseUrl, slow, stuck.body.id, ['succeeded']);
    const hung = () => receiver.received.filter((item) => item.path.startsWith('/hang')).length;
    await waitFor(() => (hung() >= 4 ? true : undefined));

    // Project B: one healthy endpoint.
    const other = (await server.createKey()).secret;
    await call('POST', '/infra/webhooks/endpoints', { url: receiver.url('/other-project'), topics: ['fast'] }, other);
    const submitted = Date.now();
    await call('POST', '/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'b' }], async: true, webhook_topic: 'fast' }, other);
    const arrived = await waitFor(() => receiver.received.find((item) => item.path === '/other-project'));
    // Submitted, run and delivered within a second, while A's six endpoints hang.
    expect(arrived.at - submitted).toBeLessThan(1000);
    // A holds at most its share (WEBHOOK_PROJECT_CONCURRENCY, 4): two of its deliveries still wait.
    expect(hung()).toBe(4);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeJson } from '../../providers/http/upstream-fetch.ts';
import { ProviderError } from '../../providers/spec/provider-error.ts';

let upstream: Server;
let baseUrl: string;
let releaseHeld: () => void = () => {};
const held = new Promise<void>((resolve) => (releaseHeld = resolve));

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/bom') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('\uFEFF{"ok":true}');
      } else if (req.url === '/rate-limited-cut') {
        // Headers and half a body, then the connection drops.
        res.writeHead(429, { 'content-type': 'application/json', 'content-length': '200', 'retry-after': '7' });
        res.write('{"error":{"message":"Rate limit reached"');
        setTimeout(() => res.destroy(), 20);
      } else if (req.url === '/held') {
        void held.then(() => res.end('{"held":true}'));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"path":' + JSON.stringify(req.url) + '}');
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  releaseHeld();
  await new Promise((resolve) => upstream.close(resolve));
});

const call = (path: string, signal?: AbortSignal) => exchangeJson({ url: `${baseUrl}${path}`, headers: {}, body: {}, signal, timeoutMs: 5000, upstreamName: 'Upstream "test"' });

describe('an upstream JSON exchange', () => {
  it('keeps the path and query of the URL', async () => {
    expect(await call('/v1/chat/completions?api-version=1')).toEqual({ path: '/v1/chat/completions?api-version=1' });
  });

  it('reads a body that starts with a byte-order mark, as undici does', async () => {
    expect(await call('/bom')).toEqual({ ok: true });
  });

  it('keeps an error answer whose body broke off: a 429 stays rate_limited with its Retry-After', async () => {
    const failure = await call('/rate-limited-cut').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'rate_limited', upstreamStatus: 429, retryAfterSeconds: 7 });
  });

  it('answers an abort at once while the request waits for a connection', async () => {
    const previous: Dispatcher = getGlobalDispatcher();
    const single = new Agent({ connections: 1 });
    setGlobalDispatcher(single);
    try {
      let firstDone = false;
      const first = call('/held').then(() => (firstDone = true));
      const controller = new AbortController();
      const second = call('/anything', controller.signal).catch((error: unknown) => error);
      controller.abort(new Error('client left'));
      expect(await second).toMatchObject({ message: 'client left' });
      // Answered while the only connection was still busy with the first call.
      expect(firstDone).toBe(false);
      releaseHeld();
      await first;
    } finally {
      setGlobalDispatcher(previous);
      await single.close();
    }
  });
});

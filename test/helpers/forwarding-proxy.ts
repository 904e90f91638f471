import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwardingProxy {
  baseUrl: string;
  /** Each request as it arrived: when, and its path. */
  arrivals: { at: number; url: string }[];
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of a test server: it records every request and forwards it, unless
 * `answer` writes the response itself first (to refuse a request the way the service would).
 */
export async function startForwardingProxy(target: string, answer?: (arrival: number, req: IncomingMessage, res: ServerResponse) => boolean): Promise<ForwardingProxy> {
  const arrivals: ForwardingProxy['arrivals'] = [];
  const { hostname, port } = new URL(target);
  const proxy: Server = createServer((req, res) => {
    arrivals.push({ at: performance.now(), url: req.url! });
    if (answer?.(arrivals.length, req, res)) return;
    const upstream = forward({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode!, reply.headers);
      reply.pipe(res);
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

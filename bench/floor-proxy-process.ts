import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor of the gateway benchmark: a bare node:http pass-through proxy in its own process.
 * It forwards each request to the upstream as it came (method, path, headers, body streamed) and
 * streams the answer back, with keep-alive both ways and nothing else: no auth, no parsing, no
 * logging. What any Node gateway adds beyond it is the cost of its features.
 */
const upstream = new URL(process.argv[2] ?? process.env.FLOOR_UPSTREAM ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((incoming, answer) => {
  const forwarded = request(
    { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host }, agent },
    (response) => {
      answer.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(answer);
    },
  );
  forwarded.on('error', () => {
    if (!answer.headersSent) answer.writeHead(502);
    answer.end();
  });
  incoming.pipe(forwarded);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

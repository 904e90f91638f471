import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Services } from '../router/context.ts';
import { findLiveRealtimeSession } from '../schema/db/queries/realtime-sessions.ts';
import { hashClientSecret, realtimeProxyPath } from '../procedures/realtime.ts';

const browserKeyProtocol = 'openai-insecure-api-key.';

/** The client secret, from `Authorization: Bearer ek_...` or OpenAI's browser subprotocol. */
function clientSecretOf(request: IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(ek_\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  return protocols.find((protocol) => protocol.startsWith(browserKeyProtocol))?.slice(browserKeyProtocol.length);
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 501 ? 'Not Implemented' : 'Bad Gateway'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * `GET /v1/realtime` upgraded to a websocket: checks the session's client secret, opens the
 * upstream realtime socket with the server's own credentials, applies the settings chosen at
 * mint time, then relays every frame both ways until either side closes.
 */
export function attachRealtimeProxy(server: Server, services: Services): { close(): void } {
  const clients = new WebSocketServer({
    noServer: true,
    // Browsers offer the key as a subprotocol; answer with `realtime` so the secret is not echoed.
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== realtimeProxyPath) {
      socket.destroy();
      return;
    }
    void (async () => {
      const realtime = services.config.realtime;
      if (!realtime) return refuse(socket, 501, 'Realtime proxy not configured');
      const secret = clientSecretOf(request);
      const session = secret ? await findLiveRealtimeSession(services.db, hashClientSecret(secret)) : undefined;
      if (!session) return refuse(socket, 401, 'Missing, unknown or expired realtime client secret');

      const upstreamUrl = new URL(realtime.upstreamUrl);
      upstreamUrl.searchParams.set('model', session.upstream_model);
      const upstream = new WebSocket(upstreamUrl, {
        headers: { ...(realtime.apiKey ? { authorization: `Bearer ${realtime.apiKey}` } : {}), 'openai-beta': 'realtime=v1' },
      });
      upstream.once('error', () => refuse(socket, 502, 'The realtime upstream is unreachable'));
      upstream.once('open', () => {
        upstream.removeAllListeners('error');
        clients.handleUpgrade(request, socket, head, (client) => relay(client, upstream, session.settings));
      });
    })().catch(() => refuse(socket, 502, 'Realtime proxy failed'));
  });

  return {
    close() {
      for (const client of clients.clients) client.terminate();
      clients.close();
    },
  };
}

function relay(client: WebSocket, upstream: WebSocket, settings: Record<string, unknown>): void {
  if (Object.keys(settings).length > 0) upstream.send(JSON.stringify({ type: 'session.update', session: settings }));
  const forward = (to: WebSocket) => (data: RawData, isBinary: boolean) => {
    if (to.readyState === WebSocket.OPEN) to.send(data, { binary: isBinary });
  };
  client.on('message', forward(upstream));
  upstream.on('message', forward(client));
  const closeBoth = () => {
    for (const socket of [client, upstream]) if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
  };
  client.on('close', closeBoth);
  upstream.on('close', closeBoth);
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
}

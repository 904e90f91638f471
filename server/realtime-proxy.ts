import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { backgroundContext } from '../router/background-context.ts';
import type { CallContext, Services } from '../router/context.ts';
import { ApiError, describeError } from '../router/errors.ts';
import type { ModelEntry } from '../schema/api/models.ts';
import type { RealtimeSession } from '../schema/db/types.ts';
import { claimRealtimeSession } from '../schema/db/queries/realtime-sessions.ts';
import { hashClientSecret, realtimeProxyPath } from '../procedures/realtime.ts';
import { meteredEventOf, RealtimeMeter } from './realtime-meter.ts';

const browserKeyProtocol = 'openai-insecure-api-key.';

/** Close codes the relay ends with, beyond the protocol's own. */
export const relayCloseCodes = { expired: 4001, insufficientTokens: 4002, upstreamFailed: 4502 } as const;

/** The client secret, from `Authorization: Bearer ek_...` or OpenAI's browser subprotocol. */
function clientSecretOf(request: IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(ek_\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  return protocols.find((protocol) => protocol.startsWith(browserKeyProtocol))?.slice(browserKeyProtocol.length);
}

/** What ws itself requires of an upgrade, checked before the secret is spent on it. */
function isValidHandshake(request: IncomingMessage): boolean {
  const key = request.headers['sec-websocket-key'];
  return (
    request.method === 'GET' &&
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (request.headers['sec-websocket-version'] === '13' || request.headers['sec-websocket-version'] === '8')
  );
}

/** A route the request pipeline serves by upgrading the connection (server/http/). */
export interface UpgradeRoute {
  kind: 'upgrade';
  method: 'GET';
  path: string;
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  close(): void;
}

/**
 * `GET /v1/realtime` upgraded to a websocket. The client secret is claimed once (a secret opens
 * one relay) and only after the handshake is known to be valid; the upstream socket opens only
 * once the client's handshake has completed. Frames are relayed both ways until either side
 * closes or the session expires; each response is paid for before the client gets it (RealtimeMeter).
 * What fails before the upgrade is thrown: the pipeline answers it like any other request.
 */
export function realtimeUpgradeRoute(services: Services): UpgradeRoute {
  const clients = new WebSocketServer({
    noServer: true,
    // Browsers offer the key as a subprotocol; answer with `realtime` so the secret is not echoed.
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });
  return {
    kind: 'upgrade',
    method: 'GET',
    path: realtimeProxyPath,
    async upgrade(request, socket, head) {
      if (!services.config.realtime) throw new ApiError('not_implemented', 'Realtime proxy not configured: set REALTIME_UPSTREAM_URL');
      if (!isValidHandshake(request)) throw new ApiError('bad_request', 'Not a valid websocket handshake');
      const secret = clientSecretOf(request);
      const session = secret ? await claimRealtimeSession(services.db, hashClientSecret(secret)) : undefined;
      if (!session) throw new ApiError('unauthorized', 'Missing, unknown, expired or already used realtime client secret');
      const principal = await services.keyStore.principalOfKey(session.key_id);
      const entry = services.catalog.find(session.model);
      if (!principal || !entry) throw new ApiError('unauthorized', 'The API key behind this realtime session was revoked');
      clients.handleUpgrade(request, socket, head, (client) => {
        const stop = new AbortController();
        const ctx = backgroundContext(services, principal, { id: session.id, route: realtimeProxyPath, signal: stop.signal });
        relay(client, session, entry, ctx, services, () => stop.abort());
      });
    },
    close() {
      for (const client of clients.clients) client.terminate();
      clients.close();
    },
  };
}

function relay(client: WebSocket, session: RealtimeSession, entry: ModelEntry, ctx: CallContext, services: Services, onEnd: () => void): void {
  const realtime = services.config.realtime!;
  const upstreamUrl = new URL(realtime.upstreamUrl);
  upstreamUrl.searchParams.set('model', session.upstream_model);
  const upstream = new WebSocket(upstreamUrl, {
    headers: { ...(realtime.apiKey ? { authorization: `Bearer ${realtime.apiKey}` } : {}), 'openai-beta': 'realtime=v1' },
  });
  // What the client sends before the upstream is open waits for it, in order.
  const pending: [RawData, boolean][] = [];

  let ended = false;
  const end = (code: number, reason: string, event?: unknown) => {
    if (ended) return;
    ended = true;
    clearTimeout(expiry);
    held.length = 0;
    meter.close();
    if (event && client.readyState === WebSocket.OPEN) client.send(JSON.stringify(event));
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close(code, reason);
    if (upstream.readyState === WebSocket.OPEN) upstream.close();
    else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    onEnd();
  };
  const expiry = setTimeout(
    () => end(relayCloseCodes.expired, 'session expired', { type: 'error', error: { type: 'invalid_request_error', code: 'session_expired', message: 'The realtime session expired' } }),
    Math.max(0, session.expires_at.getTime() - Date.now()),
  );

  const meter = new RealtimeMeter(ctx, entry);
  const refuse = (error: unknown) => {
    const failure = describeError(error);
    if (failure.code === 'insufficient_tokens') {
      end(relayCloseCodes.insufficientTokens, 'insufficient tokens', { type: 'error', error: { type: 'insufficient_quota', code: 'insufficient_quota', message: failure.message } });
    } else {
      services.logger.warn({ err: error, session_id: session.id }, 'realtime usage could not be charged');
      end(1011, 'usage could not be charged');
    }
  };
  // Upstream frames behind a reservation that waits for the ledger wait too, in order.
  let metering: Promise<void> | undefined;
  const held: [RawData, boolean][] = [];
  const deliver = (data: RawData, isBinary: boolean): void => {
    if (ended) return;
    const event = meteredEventOf(data, isBinary);
    let waiting: Promise<void> | void;
    try {
      waiting = event && meter.before(event);
    } catch (error) {
      return refuse(error);
    }
    if (!waiting) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
      return;
    }
    metering = waiting.then(
      () => {
        metering = undefined;
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
        while (!metering && held.length > 0) deliver(...held.shift()!);
      },
      (error: unknown) => refuse(error),
    );
  };

  upstream.once('open', () => {
    const settings = session.settings;
    if (Object.keys(settings).length > 0) upstream.send(JSON.stringify({ type: 'session.update', session: settings }));
    for (const [data, isBinary] of pending.splice(0)) upstream.send(data, { binary: isBinary });
  });
  client.on('message', (data, isBinary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    else if (upstream.readyState === WebSocket.CONNECTING) pending.push([data, isBinary]);
  });
  upstream.on('message', (data, isBinary) => {
    if (metering) held.push([data, isBinary]);
    else deliver(data, isBinary);
  });
  upstream.on('error', () => {
    if (upstream.readyState !== WebSocket.OPEN) end(relayCloseCodes.upstreamFailed, 'realtime upstream unreachable');
  });
  upstream.on('close', () => end(1000, 'upstream closed'));
  client.on('close', () => end(1000, 'client closed'));
  client.on('error', () => end(1011, 'client error'));
}

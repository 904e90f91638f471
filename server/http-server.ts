import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createApp } from './app.ts';
import { bootstrapDefaultProject, type IssuedApiKey } from '../accounts/api-key-admin.ts';
import { startServices, type RunningServices } from './services.ts';
import { requestIdOf } from './http/exchange.ts';

export interface RunningServer {
  services: RunningServices;
  server: Server;
  port: number;
  bootstrapKey: IssuedApiKey | undefined;
  close(): Promise<void>;
}

/** Node's own refusals of what it could not parse as HTTP, answered as JSON with a request id. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'Request headers too large' : status === 408 ? 'The request did not arrive in time' : 'Malformed HTTP request';
  const code = status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
  const requestId = requestIdOf({ headers: {} } as never);
  const body = JSON.stringify({ status: 'error', error: { code, message, request_id: requestId } });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Boots services and the HTTP listener, then the first-run key when asked for: only once the
 * port is ours, so a boot that cannot listen (the port taken) never creates a key it cannot show.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const services = await startServices(config, logger);
  const pipeline = createApp(services);
  const handle = (req: IncomingMessage, res: ServerResponse) => pipeline.handle(req, res);
  const server = createServer(
    {
      // A client gets this long to send its headers, checked every second (Node's default check
      // runs every 30 s, letting slow clients hold sockets long past the limit).
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: 65_000,
    },
    handle,
  );
  // `Expect: 100-continue` requests go through the pipeline too: it sends the 100 only once the
  // request is admitted and its body is about to be read, so a refused upload is never sent.
  server.on('checkContinue', handle);
  server.on('upgrade', (req, socket, head) => pipeline.upgrade(req, socket, head));
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await services.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      pipeline.closeUpgrades();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await pipeline.close();
      await services.close();
    })();
    return closing;
  };
  let bootstrapKey: IssuedApiKey | undefined;
  try {
    bootstrapKey = config.bootstrapDefaultKey ? await bootstrapDefaultProject(services.db, config.bootstrapTokenGrant) : undefined;
  } catch (error) {
    await close();
    throw error;
  }
  return {
    services,
    server,
    port,
    bootstrapKey,
    close,
  };
}

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createApp } from './app.ts';
import { bootstrapDefaultProject, type IssuedApiKey } from './api-key-admin.ts';
import { startServices, type RunningServices } from './services.ts';
import { attachRealtimeProxy } from './realtime-proxy.ts';

export interface RunningServer {
  services: RunningServices;
  server: Server;
  port: number;
  bootstrapKey: IssuedApiKey | undefined;
  close(): Promise<void>;
}

/** Boots services, the first-run key when asked for, and the HTTP listener. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const services = await startServices(config, logger);
  const bootstrapKey = config.bootstrapDefaultKey ? await bootstrapDefaultProject(services.db, config.bootstrapTokenGrant) : undefined;
  const app = createApp(services);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  }).catch(async (error: unknown) => {
    await services.close();
    throw error;
  });
  server.keepAliveTimeout = 65_000;
  const realtimeProxy = attachRealtimeProxy(server, services);
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    services,
    server,
    port,
    bootstrapKey,
    close() {
      closing ??= (async () => {
        realtimeProxy.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await services.close();
      })();
      return closing;
    },
  };
}

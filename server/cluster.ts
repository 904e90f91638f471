import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

/** What a worker tells the primary once it accepts connections. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  models: number;
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'listening';
}

/**
 * One port, one process per core: the primary starts the embedded Postgres when there is no
 * DATABASE_URL, then forks `workers` server processes that share the listening socket (the
 * kernel hands connections round-robin). Each worker is a full replica: its own pools, balance
 * leases and rate-limit leases, so limits and the ledger stay exact across them exactly as across
 * machines. A worker that dies is replaced; SIGTERM stops them all, then the database.
 */
export async function runClusterPrimary(config: Config, logger: Logger, workers: number): Promise<void> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
  const environment = { CLUSTER_WORKERS: '1', ...(embedded ? { DATABASE_URL: embedded.connectionString } : {}) };
  let stopping = false;
  const ready = new Set<number>();

  const fork = (): Worker => {
    const worker = cluster.fork(environment);
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return;
      ready.add(worker.id);
      if (ready.size === workers) {
        logger.info({ port: message.port, workers, database: embedded ? 'embedded' : 'external', models: message.models }, 'listening');
        logger.flush();
      }
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) return;
    logger.error({ worker: worker.process.pid, code, signal }, 'server process died; starting another');
    setTimeout(fork, 1000).unref();
  });
  for (let index = 0; index < workers; index++) fork();

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down');
    const exits = Object.values(cluster.workers ?? {}).map(
      (worker) => new Promise<void>((resolve) => (worker!.isDead() ? resolve() : worker!.once('exit', () => resolve()))),
    );
    for (const worker of Object.values(cluster.workers ?? {})) worker!.process.kill('SIGTERM');
    await Promise.all(exits);
    await embedded?.stop();
    process.exit(0);
  };
  // `on`, not `once`: a repeated signal (Ctrl-C under npm arrives twice) must not kill the shutdown.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}

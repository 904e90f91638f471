import { createLogger } from './logger.ts';
import { exitGracefullyOnSignals, loadConfigOrExit } from './process-lifecycle.ts';
import { startServices } from './services.ts';
import { startWorkerHealth, type WorkerHealth } from './worker-health.ts';

/**
 * `npm run worker`: runs background operations and webhook deliveries without serving the API,
 * for scaling workers apart from it (run the API with RUN_WORKERS=false then). Its liveness and
 * readiness probes answer on WORKER_HEALTH_PORT.
 */
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const starting = startServices(config, logger, { runWorkers: true });
let health: WorkerHealth | undefined;
// From the start: a signal while starting closes what has started.
exitGracefullyOnSignals(logger, async () => {
  await health?.close();
  await (await starting.catch(() => undefined))?.close();
});
try {
  const services = await starting;
  health = await startWorkerHealth({
    loops: () => services.jobLoops(),
    db: services.db,
    reachability: services.database.reachability,
    host: config.host,
    port: config.workerHealthPort,
    limits: {
      // The loops poll every second or so when idle.
      idleMs: 30_000,
      // Runs end at their own timeouts (an operation's, a delivery attempt's); a minute more is a hang.
      busyMs: Math.max(config.operations.timeoutSeconds * 1000, config.webhooks.timeoutMs) + 60_000,
    },
    logger,
  });
  logger.info({ concurrency: config.operations.concurrency, health_port: health.port }, 'worker started');
  logger.flush();
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
}

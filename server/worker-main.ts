import { createLogger } from './logger.ts';
import { exitGracefullyOnSignals, loadConfigOrExit } from './process-lifecycle.ts';
import { startServices } from './services.ts';

/**
 * `npm run worker`: runs background operations and webhook deliveries without serving HTTP, for
 * scaling workers apart from the API (run the API with RUN_WORKERS=false then).
 */
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const starting = startServices(config, logger, { runWorkers: true });
// From the start: a signal while starting closes what has started.
exitGracefullyOnSignals(logger, async () => (await starting.catch(() => undefined))?.close());
try {
  await starting;
  logger.info({ concurrency: config.operations.concurrency }, 'worker started');
  logger.flush();
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
}

import { createLogger } from './logger.ts';
import { exitGracefullyOnSignals, loadConfigOrExit } from './process-lifecycle.ts';
import { startServices } from './services.ts';

/**
 * `npm run worker`: runs background operations and webhook deliveries without serving HTTP, for
 * scaling workers apart from the API (run the API with RUN_WORKERS=false then).
 */
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
try {
  const services = await startServices(config, logger, { runWorkers: true });
  logger.info({ concurrency: config.operations.concurrency }, 'worker started');
  logger.flush();
  exitGracefullyOnSignals(logger, () => services.close());
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
}

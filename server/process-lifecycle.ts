import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';

/** The configuration, or a message naming every bad variable and exit code 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * On SIGINT/SIGTERM/SIGHUP: close gracefully, exit 0; exit 1 if closing fails or takes over 20 s.
 * Signals after the first are ignored: a Ctrl-C under `npm start` arrives twice (from the
 * terminal, and forwarded by npm), and the second must not kill a shutdown half done.
 */
export function exitGracefullyOnSignals(logger: Logger, close: () => Promise<void>): void {
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 20_000).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

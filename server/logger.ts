import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

/** How long a log line may wait in the buffer before it is written. */
const flushIntervalMs = 250;

/**
 * Structured JSON logs. Keys, prompts and bodies are never passed to it.
 * Lines are buffered and written together (at 4 KiB, every quarter second, and on exit) rather
 * than one write system call per line: a request's log line cost as much as its route lookup,
 * validation and billing together. A process killed outright loses at most that last quarter second.
 */
export function createLogger(level: Config['logLevel']): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // closed at exit: nothing left to write
    }
  }, flushIntervalMs).unref();
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

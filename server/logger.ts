import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

/** Structured JSON logs. Keys, prompts and bodies are never passed to it. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  });
}

import type { RequestHandler } from 'express';
import type { LogEvent } from 'kysely';
import type { ObservabilityConfig } from '../config.ts';
import type { ModelCallObserver } from './model-calls.ts';

/**
 * What tracing adds to the service; every hook is absent when tracing is off, so an untraced
 * deployment runs exactly the code it would without this file.
 */
export interface Tracing {
  /** One span per HTTP request, current for everything the request runs. */
  requests?: RequestHandler;
  /** A child span per upstream call or local inference. */
  modelCalls?: ModelCallObserver;
  /** Kysely's `log` hook: a child span per database query. */
  databaseQueries?: (event: LogEvent) => void;
  /** Sends the spans still buffered. */
  close(): Promise<void>;
}

export const tracingOff: Tracing = { close: async () => {} };

/**
 * Tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set. The OpenTelemetry SDK is imported only then:
 * without an endpoint not one of its modules is loaded.
 */
export async function startTracing(config: ObservabilityConfig): Promise<Tracing> {
  if (!config.otlpEndpoint) return tracingOff;
  const { startOtlpTracing } = await import('./otlp-tracing.ts');
  return startOtlpTracing({ endpoint: config.otlpEndpoint, serviceName: config.serviceName });
}

import type { Services } from '../router/context.ts';
import type { Config } from './config.ts';
import type { ServiceMetrics } from './observability/metrics.ts';
import type { Tracing } from './observability/tracing.ts';

/** The services as the server holds them: what procedures get, with the whole configuration and the server's own instruments. */
export interface ServerServices extends Services {
  config: Config;
  /** Prometheus counters, incremented in memory (GET /metrics). */
  metrics: ServiceMetrics;
  /** OpenTelemetry hooks; all absent unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing: Tracing;
}

import type { CallScope } from '../providers/spec/call-scope.ts';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import type { Database } from '../schema/db/types.ts';
import type { ModelCatalog } from '../providers/catalog.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { KeyStore, Principal } from './key-store.ts';
import type { RateCounts, RateLimits } from './rate-limits.ts';
import type { BalanceLedger } from './ledger/balance-ledger.ts';
import type { BackgroundTasks } from './background-tasks.ts';
import type { OperationQueue } from '../jobs/operation-queue.ts';
import type { StorageService } from '../providers/storage/storage-service.ts';
import type { ServiceMetrics } from '../server/observability/metrics.ts';
import type { Tracing } from '../server/observability/tracing.ts';

/** Long-lived dependencies, built once at boot; no request in here (tests build callers on it). */
export interface Services {
  config: Config;
  db: Kysely<Database>;
  /** Same database; commits of per-request ledger writes do not wait for the WAL flush. */
  hotPathDb: Kysely<Database>;
  catalog: ModelCatalog;
  providers: ProviderRegistry;
  keyStore: KeyStore;
  logger: Logger;
  storage: StorageService;
  operations: OperationQueue;
  /** Work finished after the answer (charge settlement), awaited at shutdown. */
  background: BackgroundTasks;
  /** Both absent when ENFORCE_LIMITS=false. */
  rateLimits: RateLimits | undefined;
  ledger: BalanceLedger | undefined;
  /** Prometheus counters, incremented in memory (GET /metrics). */
  metrics: ServiceMetrics;
  /** OpenTelemetry hooks; all absent unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing: Tracing;
}

/** Filled in while a request runs and written to its log line when it ends. */
export interface RequestLog {
  route?: string;
  projectId?: string;
}

/**
 * The context every procedure runs with. Its key was checked before the call: by the request
 * pipeline (server/http/) for a request, before its body was read; by the worker for a
 * background run (re-read when the run starts, so a revoked key fails the run).
 */
export interface CallContext {
  services: Services;
  requestId: string;
  principal: Principal;
  log: RequestLog;
  /** Aborted when the client goes away before the response ends. */
  signal: AbortSignal;
  /** What a procedure asks of the HTTP answer beyond its body: 202 for an accepted operation, the budgets its rate-limit headers report. */
  response: { status?: number; rateLimits: RateCounts };
  /** Set when a background worker runs the call: its request was already counted. */
  background?: { principal: Principal };
}

/** What this call hands a model adapter beside its input: the project whose share of the local queues it takes, and cancellation. */
export function scopeOf(ctx: CallContext): CallScope {
  return { projectId: ctx.principal.projectId, signal: ctx.signal };
}

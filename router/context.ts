import type { CallScope } from '../providers/spec/call-scope.ts';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';
import type { ModelCatalog } from '../providers/catalog.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { KeyStore, Principal } from '../accounts/key-store.ts';
import type { RateCounts, RateLimits } from '../accounts/rate-limits.ts';
import type { BalanceLedger } from '../accounts/ledger/balance-ledger.ts';
import type { UsageMeter } from '../accounts/billing.ts';
import type { ServiceSettings } from './settings.ts';
import type { OperationQueue } from '../jobs/operation-queue.ts';
import type { StorageService } from '../providers/storage/storage-service.ts';

/**
 * Long-lived dependencies, built once at boot; no request in here. The composition root
 * (server/) holds these and more: the whole configuration, its metrics and tracing.
 */
export interface Services {
  config: ServiceSettings;
  db: Kysely<Database>;
  /** Same database; commits of per-request ledger writes do not wait for the WAL flush. */
  hotPathDb: Kysely<Database>;
  catalog: ModelCatalog;
  providers: ProviderRegistry;
  keyStore: KeyStore;
  logger: Logger;
  storage: StorageService;
  operations: OperationQueue;
  /** Both absent when ENFORCE_LIMITS=false. */
  rateLimits: RateLimits | undefined;
  ledger: BalanceLedger | undefined;
  /** Counts usage and spend (GET /metrics). */
  metrics: UsageMeter;
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

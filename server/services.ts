import type { Logger } from 'pino';
import type { PgBoss, WipData } from 'pg-boss';
import type { Config } from './config.ts';
import type { ServerServices } from './server-services.ts';
import { KeyStore } from '../accounts/key-store.ts';
import { loadProviders } from '../providers/registry.ts';
import { createObjectStore } from '../providers/storage/create-object-store.ts';
import { StorageService } from '../providers/storage/storage-service.ts';
import { startBoss, stopBoss } from '../jobs/boss.ts';
import { ensureQueues } from '../jobs/queues.ts';
import { OperationQueue } from '../jobs/operation-queue.ts';
import { OperationWorker } from '../jobs/operation-worker.ts';
import { WebhookDeliveryWorker } from '../jobs/webhooks/delivery-worker.ts';
import { dispatchOperationEvent } from '../jobs/webhooks/dispatch.ts';
import { openDatabase, type DatabaseHandle } from './database.ts';
import { createOperationExecutor } from './operation-executor.ts';
import { appRouter } from './app-router.ts';
import { createRateLimits } from '../accounts/rate-limit-store.ts';
import { BalanceLedger } from '../accounts/ledger/balance-ledger.ts';
import { ServiceMetrics } from './observability/metrics.ts';
import { combineObservers } from './observability/model-calls.ts';
import { startTracing } from './observability/tracing.ts';
import { readQueueState } from '../jobs/queue-readings.ts';
import { listenForQueuedJobs } from '../jobs/job-wakeups.ts';

/** How long a stopping process lets running jobs end before handing them back to the queue. */
const jobStopGraceMs = 10_000;

export interface RunningServices extends ServerServices {
  database: DatabaseHandle;
  boss: PgBoss;
  /** The job loops this process runs (none with RUN_WORKERS=false), for the worker's liveness probe. */
  jobLoops(): WipData[];
  close(): Promise<void>;
}

/**
 * Everything the API needs, in dependency order; `close` releases it in reverse. Workers run
 * here too unless RUN_WORKERS=false (then `npm run worker` processes run them).
 */
export async function startServices(config: Config, logger: Logger, options: { runWorkers?: boolean } = {}): Promise<RunningServices> {
  const tracing = await startTracing(config.observability);
  const database = await openDatabase(config, logger, { onQuery: tracing.databaseQueries }).catch(async (error: unknown) => {
    await tracing.close();
    throw error;
  });
  // Tracing closes last, sending the spans of everything that closed before it.
  const stops: (() => Promise<void>)[] = [() => tracing.close(), () => database.close()];
  const closeAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => logger.warn({ err: error }, 'shutdown step failed'));
  };
  try {
    const { db } = database;
    // Pushed early so it closes late: the charges of calls ending during shutdown are still written.
    const ledger = config.limits.enforce
      ? new BalanceLedger({ db, reachability: database.reachability, logger, ...config.limits.ledger })
      : undefined;
    if (ledger) {
      await ledger.start();
      stops.push(() => ledger.close());
    }
    const metrics = new ServiceMetrics();
    const providers = await loadProviders(config, combineObservers([metrics.modelCalls, ...(tracing.modelCalls ? [tracing.modelCalls] : [])]));
    stops.push(() => providers.close());
    const keyStore = new KeyStore({ db, logger, defaultLimits: config.limits });
    await keyStore.listenForRevocations(database.reachability);
    stops.push(() => keyStore.close());
    const boss = await startBoss(database.reachability, logger, { superviseSeconds: config.operations.superviseSeconds, poolSize: config.databasePoolSize });
    stops.push(() => stopBoss(boss));
    await ensureQueues(boss, config.operations, config.webhooks);

    const rateLimits = await createRateLimits(config.limits, database, logger, stops);

    const onFinished = (operation: Parameters<typeof dispatchOperationEvent>[3]) => {
      metrics.countOperationFinished(operation.kind, operation.status);
      // One transaction: run again whole should the database be away, so the event is not lost.
      return database.reachability
        .retryUntilReachable('webhook dispatch', () => dispatchOperationEvent(db, boss, logger, operation))
        .catch((error: unknown) => logger.error({ err: error, operation_id: operation.id }, 'webhook dispatch failed'));
    };
    const services: RunningServices = {
      config,
      logger,
      db,
      hotPathDb: database.hotPathDb,
      catalog: providers.catalog,
      providers,
      keyStore,
      storage: new StorageService({ db, store: createObjectStore(config.storage), maxObjectBytes: config.storage.maxObjectBytes }),
      operations: new OperationQueue({ db, boss, onFinished }),
      rateLimits,
      ledger,
      metrics,
      tracing,
      database,
      boss,
      jobLoops: () => [],
      close: closeAll,
    };

    metrics.readFrom({
      pools: () => providers.poolUsage(),
      rateLimitRefusals: () => services.rateLimits?.refusals,
      queues: () => readQueueState(db),
    });

    if (options.runWorkers ?? config.operations.runWorkers) {
      const operationWorker = new OperationWorker({
        db,
        boss,
        reachability: database.reachability,
        executor: createOperationExecutor(services, appRouter),
        concurrency: config.operations.concurrency,
        projectConcurrency: config.operations.projectConcurrency,
        timeoutSeconds: config.operations.timeoutSeconds,
        logger,
        onFinished,
      });
      const webhookWorker = new WebhookDeliveryWorker({ db, boss, reachability: database.reachability, config: config.webhooks, logger });
      const pumps = [...operationWorker.pumps, ...webhookWorker.pumps];
      const wakeups = await listenForQueuedJobs(db, database.reachability, logger, new Map(pumps.map((pump) => [pump.queue, pump])));
      stops.push(() => wakeups.close());
      // Deliveries stop after operations, so that operations ending during the stop are announced.
      webhookWorker.start();
      stops.push(() => webhookWorker.stop(jobStopGraceMs));
      await operationWorker.start();
      stops.push(() => operationWorker.stop(jobStopGraceMs));
      services.jobLoops = () => pumps.map((pump) => pump.wipData());
    }
    return services;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

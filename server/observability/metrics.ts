import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { recordedCounter, recordedHistogram, setCounter } from './recorded-metrics.ts';
import type { QueueReading } from '../../jobs/queue-readings.ts';
import type { PoolUsage } from '../../providers/local/bounded-pool.ts';
import { failureReason, type ModelCall, type ModelCallObserver } from './model-calls.ts';

/** Where the request landed: the canonical tree, the OpenAI-compatible one, tRPC, or anything else. */
export type Tree = 'infra' | 'v1' | 'trpc' | 'other';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** A pool's state as read at scrape time. */
export interface PoolReading {
  pool: string;
  usage: PoolUsage;
}

/** What the scrape reads from the rest of the process; each source is optional (the worker has no rate limits, tests may have no pool). */
export interface ScrapeSources {
  pools?: () => PoolReading[];
  rateLimitRefusals?: () => Record<'requests' | 'tokens', number> | undefined;
  queues?: () => Promise<QueueReading[]>;
}

/**
 * The service's Prometheus metrics, in a registry of its own (several servers in one process
 * each count their own traffic). Everything on the request path is an in-memory increment;
 * pools, rate-limit refusals and queue depth are read only when /metrics is scraped.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #sources: ScrapeSources = {};

  // The per-request metrics are recorded as plain numbers (see recorded-metrics.ts).
  readonly #requestCount = recordedCounter({
    registry: this.registry,
    name: 'ai_http_requests_total',
    help: 'HTTP requests answered, by API tree, route template, method and status',
    labelNames: ['tree', 'route', 'method', 'status'] as const,
  });
  readonly #requestDuration = recordedHistogram({
    registry: this.registry,
    name: 'ai_http_request_duration_seconds',
    help: 'Time from the request arriving to its answer ending (whole streams included), by tree, route template and method',
    labelNames: ['tree', 'route', 'method'] as const,
    buckets: latencyBuckets,
  });
  readonly #modelCallDuration = recordedHistogram({
    registry: this.registry,
    name: 'ai_model_call_duration_seconds',
    help: 'Duration of calls into a model (an upstream, or provider "local" for the offline models), by provider, model and operation',
    labelNames: ['provider', 'model', 'operation'] as const,
    buckets: latencyBuckets,
  });
  readonly #modelCallErrors = new Counter({
    name: 'ai_model_call_errors_total',
    help: 'Failed model calls, by provider, model and reason (rate_limited, timeout, bad_gateway, invalid_request, unavailable, too_large, cancelled, error)',
    labelNames: ['provider', 'model', 'reason'] as const,
    registers: [this.registry],
  });
  readonly #tokens = recordedCounter({
    registry: this.registry,
    name: 'ai_model_tokens_total',
    help: 'Model units used by settled calls (tokens, or the pricing unit), by provider, model and direction',
    labelNames: ['provider', 'model', 'direction'] as const,
  });
  readonly #spend = recordedCounter({
    registry: this.registry,
    name: 'ai_ledger_spend_tokens_total',
    help: 'Service tokens charged to project balances, by primitive',
    labelNames: ['primitive'] as const,
  });
  readonly #operationsFinished = new Counter({
    name: 'ai_operations_finished_total',
    help: 'Async operations that reached a final status in this process, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = this.#sources;

    const poolGauge = (name: string, help: string, read: (usage: PoolUsage) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { pool, usage } of sources.pools?.() ?? []) this.set({ pool }, read(usage));
        },
      });
    poolGauge('ai_local_pool_slots', 'Slots of a local pool (compute threads, or sequences of a loaded GGUF model)', (usage) => usage.capacity);
    poolGauge('ai_local_pool_busy', 'Slots of a local pool running a task now', (usage) => usage.busy);
    poolGauge('ai_local_pool_waiting', 'Tasks waiting for a slot of a local pool', (usage) => usage.waiting);
    poolGauge('ai_local_pool_queue_limit', 'Tasks allowed to wait for a slot of a local pool, all projects together', (usage) => usage.queueLimit);
    poolGauge('ai_local_pool_busiest_project', 'The most tasks one project has running or waiting in a local pool now', (usage) => usage.busiestProject);
    poolGauge('ai_local_pool_project_limit', 'Tasks one project may have running or waiting in a local pool', (usage) => usage.projectLimit);
    new Counter({
      name: 'ai_local_pool_refusals_total',
      help: 'Tasks refused (503) by a local pool: its line full, the project at its share, or the wait too long',
      labelNames: ['pool'] as const,
      registers: [this.registry],
      collect() {
        for (const { pool, usage } of sources.pools?.() ?? []) setCounter(this, { pool }, usage.refused);
      },
    });
    new Counter({
      name: 'ai_rate_limit_refusals_total',
      help: 'Requests refused (429) by the per-key limits, by what ran out (requests or tokens per minute)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const refusals = sources.rateLimitRefusals?.();
        if (!refusals) return;
        for (const kind of ['requests', 'tokens'] as const) setCounter(this, { kind }, refusals[kind]);
      },
    });

    // Both queue gauges come from one query a scrape: the registry collects every metric at
    // once, so the second collect finds the first one's query still running and shares it.
    let reading: Promise<QueueReading[]> | undefined;
    const readQueues = () =>
      (reading ??= (sources.queues?.() ?? Promise.resolve([])).catch((): QueueReading[] => []).finally(() => (reading = undefined)));
    new Gauge({
      name: 'ai_operation_jobs',
      help: 'Jobs of the pg-boss queues (operations, webhook deliveries) waiting (created, retry) or running (active), across every replica',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await readQueues()) this.set({ queue: row.queue, state: row.state }, row.jobs);
      },
    });
    new Gauge({
      name: 'ai_operation_oldest_job_age_seconds',
      help: 'Age of the oldest job of a pg-boss queue in each live state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await readQueues()) this.set({ queue: row.queue, state: row.state }, row.oldestAgeSeconds);
      },
    });
  }

  /** Connects the scrape-time readings once the services exist. */
  readFrom(sources: ScrapeSources): void {
    Object.assign(this.#sources, sources);
  }

  observeRequest(tree: Tree, route: string, method: string, status: number, seconds: number): void {
    this.#requestCount(tree, route, method, String(status)).inc();
    this.#requestDuration(tree, route, method).observe(seconds);
  }

  /** Times every model call; failures are also counted by reason. */
  readonly modelCalls: ModelCallObserver = {
    start: (call: ModelCall) => {
      const started = process.hrtime.bigint();
      return {
        end: (error?: unknown) => {
          this.#modelCallDuration(call.provider, call.model, call.operation).observe(Number(process.hrtime.bigint() - started) / 1e9);
          if (error !== undefined) this.#modelCallErrors.inc({ provider: call.provider, model: call.model, reason: failureReason(error) });
        },
      };
    },
  };

  countUsage(modelId: string, input: number, output: number): void {
    const separator = modelId.indexOf(':');
    const provider = separator > 0 ? modelId.slice(0, separator) : 'service';
    if (input > 0) this.#tokens(provider, modelId, 'input').inc(input);
    if (output > 0) this.#tokens(provider, modelId, 'output').inc(output);
  }

  countSpend(primitive: string, tokens: number): void {
    if (tokens > 0) this.#spend(primitive).inc(tokens);
  }

  countOperationFinished(kind: string, status: string): void {
    this.#operationsFinished.inc({ kind, status });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

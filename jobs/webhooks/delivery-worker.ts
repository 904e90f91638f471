import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { request, type Agent } from 'undici';
import type { WebhooksConfig } from '../settings.ts';
import type { Database } from '../../schema/db/types.ts';
import { completeDelivery, findDeliveryWithEndpoint, insertAttempt } from '../../schema/db/queries/webhooks.ts';
import { webhookDeliveriesQueue, type WebhookJob } from '../queues.ts';
import { JobPump, type PumpedJob } from '../job-pump.ts';
import type { DatabaseReachability } from '../../schema/db/reachability.ts';
import { signWebhook } from './signature.ts';
import { checkWebhookUrl, createGuardedAgent } from './target-guard.ts';

class PermanentDeliveryError extends Error {}

/**
 * Sends queued webhook deliveries: signed POSTs, every attempt recorded, non-2xx answers and
 * network errors retried by pg-boss with exponential backoff until WEBHOOK_MAX_ATTEMPTS. Up to
 * WEBHOOK_CONCURRENCY at once, at most WEBHOOK_PROJECT_CONCURRENCY of one project (its jobs'
 * group): endpoints that hang until the timeout hold only their own project's slots.
 */
export class WebhookDeliveryWorker {
  readonly #db: Kysely<Database>;
  readonly #config: WebhooksConfig;
  readonly #logger: Logger;
  readonly #agent: Agent;
  /** What fetches and runs the deliveries; woken by the process's NOTIFY listener. */
  readonly pumps: readonly JobPump<WebhookJob>[];

  constructor(options: { db: Kysely<Database>; boss: PgBoss; reachability: DatabaseReachability; config: WebhooksConfig; logger: Logger }) {
    this.#db = options.db;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#agent = createGuardedAgent(options.config.allowPrivateTargets, options.config.timeoutMs);
    this.pumps = [
      new JobPump<WebhookJob>({
        boss: options.boss,
        queue: webhookDeliveriesQueue,
        concurrency: options.config.concurrency,
        // Deliveries to endpoints that hang hold their slots until the timeout: a project's never
        // hold more than its share of a worker's, and slots are not lent.
        fairness: { cap: options.config.projectConcurrency },
        run: (job) => this.#deliver(job),
        reachability: options.reachability,
        logger: options.logger,
      }),
    ];
  }

  start(): void {
    for (const pump of this.pumps) pump.start();
  }

  /** A delivery still sending after `graceMs` is handed back to the queue (and sent again). */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(this.pumps.map((pump) => pump.stop(graceMs)));
    await this.#agent.close();
  }

  async #deliver(job: PumpedJob<WebhookJob>): Promise<void> {
    const delivery = await findDeliveryWithEndpoint(this.#db, job.data.deliveryId);
    if (!delivery || delivery.status !== 'pending') return;
    const attempt = job.retryCount + 1;
    const isLastAttempt = attempt >= this.#config.maxAttempts;
    if (delivery.endpoint_deleted_at) {
      await completeDelivery(this.#db, delivery.id, 'failed');
      return;
    }

    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    let statusCode: number | null = null;
    let failure: string | null = null;
    let permanent = false;
    try {
      const urlProblem = checkWebhookUrl(delivery.url, this.#config.allowPrivateTargets);
      if (urlProblem) throw new PermanentDeliveryError(`url ${urlProblem}`);
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ai-primitives-webhooks/1',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(delivery.secret, delivery.id, timestamp, body),
        },
        body,
      });
      statusCode = response.statusCode;
      await response.body.dump();
      if (statusCode < 200 || statusCode >= 300) failure = `HTTP ${statusCode}`;
    } catch (error) {
      permanent = error instanceof PermanentDeliveryError || (error as { code?: string }).code === 'EADDRNOTALLOWED';
      failure = (error as Error).message || 'request failed';
    }
    await insertAttempt(this.#db, {
      deliveryId: delivery.id,
      attempt,
      statusCode,
      error: failure,
      durationMs: Math.round(performance.now() - started),
    });

    if (failure === null) {
      await completeDelivery(this.#db, delivery.id, 'succeeded');
      return;
    }
    if (permanent || isLastAttempt) {
      await completeDelivery(this.#db, delivery.id, 'failed');
      this.#logger.warn({ delivery_id: delivery.id, attempt, error: failure }, 'webhook delivery failed for good');
      return;
    }
    throw new Error(`webhook delivery attempt ${attempt} failed: ${failure}`);
  }
}

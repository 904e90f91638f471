import type { Kysely } from 'kysely';
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { request, type Agent } from 'undici';
import type { WebhooksConfig } from '../settings.ts';
import type { Database } from '../../schema/db/types.ts';
import { completeDelivery, findDeliveryWithEndpoint, insertAttempt } from '../../schema/db/queries/webhooks.ts';
import { webhookDeliveriesQueue, type WebhookJob } from '../queues.ts';
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
  readonly #boss: PgBoss;
  readonly #config: WebhooksConfig;
  readonly #logger: Logger;
  readonly #agent: Agent;

  constructor(options: { db: Kysely<Database>; boss: PgBoss; config: WebhooksConfig; logger: Logger }) {
    this.#db = options.db;
    this.#boss = options.boss;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#agent = createGuardedAgent(options.config.allowPrivateTargets, options.config.timeoutMs);
  }

  async start(): Promise<void> {
    await this.#boss.work<WebhookJob>(
      webhookDeliveriesQueue,
      {
        batchSize: 1,
        localConcurrency: this.#config.concurrency,
        localGroupConcurrency: Math.min(this.#config.projectConcurrency, this.#config.concurrency),
        includeMetadata: true,
        pollingIntervalSeconds: 1,
        notifyPollingIntervalSeconds: 1,
        burstWhenReadyExceeds: 1,
      },
      async ([job]) => this.#deliver(job!),
    );
  }

  async stop(): Promise<void> {
    await this.#agent.close();
  }

  async #deliver(job: Job<WebhookJob> & { retryCount?: number; retryLimit?: number }): Promise<void> {
    const delivery = await findDeliveryWithEndpoint(this.#db, job.data.deliveryId);
    if (!delivery || delivery.status !== 'pending') return;
    const attempt = (job.retryCount ?? 0) + 1;
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

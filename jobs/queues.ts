import type { PgBoss } from 'pg-boss';
import type { OperationsConfig, WebhooksConfig } from './settings.ts';

export const operationsQueue = 'ai-operations';
/** Jobs whose worker vanished on every attempt land here, and their operations end failed. */
export const operationsDeadLetterQueue = 'ai-operations-dead';
export const webhookDeliveriesQueue = 'webhook-deliveries';

export interface OperationJob {
  operationId: string;
}

export interface WebhookJob {
  deliveryId: string;
}

/** Creates or updates the queues with the configured retry and expiry policy (idempotent). */
export async function ensureQueues(boss: PgBoss, operations: OperationsConfig, webhooks: WebhooksConfig): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((queue) => queue.name));
  const upsert = async (name: string, options: Parameters<PgBoss['createQueue']>[1] & object) => {
    if (existing.has(name)) await boss.updateQueue(name, options as never);
    else await boss.createQueue(name, options);
  };
  await upsert(operationsDeadLetterQueue, { notify: true });
  await upsert(operationsQueue, {
    notify: true,
    deadLetter: operationsDeadLetterQueue,
    retryLimit: operations.retryLimit,
    retryDelay: operations.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: operations.timeoutSeconds + 30,
    ...(operations.heartbeatSeconds > 0 ? { heartbeatSeconds: operations.heartbeatSeconds } : {}),
  });
  await upsert(webhookDeliveriesQueue, {
    notify: true,
    retryLimit: webhooks.maxAttempts - 1,
    retryDelay: webhooks.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: Math.ceil(webhooks.timeoutMs / 1000) + 30,
  });
}

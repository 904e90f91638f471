import type { Kysely } from 'kysely';
import { fromKysely, type PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { toOperationWire } from '../../schema/api/operation-wire.ts';
import { createId } from '../../schema/db/ids.ts';
import type { Database, Operation } from '../../schema/db/types.ts';
import { findSubscribedEndpoints, insertDelivery } from '../../schema/db/queries/webhooks.ts';
import { webhookDeliveriesQueue, type WebhookJob } from '../queues.ts';

/**
 * When an operation ends and names a webhook topic, queues one delivery per endpoint subscribed
 * to that topic: `ai.operation.succeeded`, `.failed` or `.cancelled`, with the operation as data.
 */
export async function dispatchOperationEvent(db: Kysely<Database>, boss: PgBoss, logger: Logger, operation: Operation): Promise<void> {
  if (!operation.webhook_topic) return;
  const endpoints = await findSubscribedEndpoints(db, operation.project_id, operation.webhook_topic);
  if (endpoints.length === 0) return;
  const type = `ai.operation.${operation.status}`;
  const event = { id: createId('evt'), type, topic: operation.webhook_topic, created_at: new Date().toISOString(), data: toOperationWire(operation) };
  await db.transaction().execute(async (trx) => {
    for (const endpoint of endpoints) {
      const delivery = await insertDelivery(trx, {
        endpointId: endpoint.id,
        projectId: operation.project_id,
        operationId: operation.id,
        eventType: type,
        payload: event,
      });
      const job: WebhookJob = { deliveryId: delivery.id };
      // Grouped by project: the delivery worker gives each project a bounded share of its slots.
      await boss.send(webhookDeliveriesQueue, job, { group: { id: operation.project_id }, db: fromKysely(trx as never) });
    }
  });
  logger.debug({ operation_id: operation.id, deliveries: endpoints.length }, 'webhook deliveries queued');
}

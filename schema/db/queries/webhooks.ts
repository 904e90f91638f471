import { sql, type Kysely } from 'kysely';
import type { Database, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../types.ts';
import { createId } from '../ids.ts';

export async function insertEndpoint(
  db: Kysely<Database>,
  endpoint: { projectId: string; url: string; topics: string[]; secret: string },
): Promise<WebhookEndpoint> {
  return db
    .insertInto('webhook_endpoints')
    .values({ id: createId('wh'), project_id: endpoint.projectId, url: endpoint.url, topics: endpoint.topics, secret: endpoint.secret })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listEndpoints(db: Kysely<Database>, projectId: string): Promise<WebhookEndpoint[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
}

/** Soft delete: past deliveries keep their endpoint; pending ones stop. */
export async function deleteEndpoint(db: Kysely<Database>, projectId: string, id: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ deleted_at: sql`now()` })
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Live endpoints of the project subscribed to the topic (or to every topic, `*`). */
export async function findSubscribedEndpoints(db: Kysely<Database>, projectId: string, topic: string): Promise<WebhookEndpoint[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([sql<boolean>`${topic} = any(topics)`, sql<boolean>`'*' = any(topics)`]))
    .execute();
}

export async function insertDelivery(
  db: Kysely<Database>,
  delivery: { endpointId: string; projectId: string; operationId: string; eventType: string; payload: unknown; id?: string },
): Promise<WebhookDelivery> {
  return db
    .insertInto('webhook_deliveries')
    .values({
      id: delivery.id ?? createId('whd'),
      endpoint_id: delivery.endpointId,
      project_id: delivery.projectId,
      operation_id: delivery.operationId,
      event_type: delivery.eventType,
      payload: JSON.stringify(delivery.payload),
      status: 'pending',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findDeliveryWithEndpoint(db: Kysely<Database>, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'webhook_deliveries.endpoint_id')
    .selectAll('webhook_deliveries')
    .select(['webhook_endpoints.url', 'webhook_endpoints.secret', 'webhook_endpoints.deleted_at as endpoint_deleted_at'])
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirst();
}

export async function insertAttempt(
  db: Kysely<Database>,
  attempt: { deliveryId: string; attempt: number; statusCode: number | null; error: string | null; durationMs: number },
): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: attempt.deliveryId,
      attempt: attempt.attempt,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
    })
    .execute();
}

export async function completeDelivery(db: Kysely<Database>, id: string, status: 'succeeded' | 'failed'): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status, completed_at: sql`now()` }).where('id', '=', id).execute();
}

export async function listDeliveries(
  db: Kysely<Database>,
  query: { projectId: string; operationId?: string | undefined; endpointId?: string | undefined; limit: number },
): Promise<(WebhookDelivery & { attempts: WebhookAttempt[] })[]> {
  let select = db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', query.projectId).orderBy('created_at', 'desc').limit(query.limit);
  if (query.operationId) select = select.where('operation_id', '=', query.operationId);
  if (query.endpointId) select = select.where('endpoint_id', '=', query.endpointId);
  const deliveries = await select.execute();
  if (deliveries.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      deliveries.map((delivery) => delivery.id),
    )
    .orderBy('attempt')
    .execute();
  return deliveries.map((delivery) => ({ ...delivery, attempts: attempts.filter((attempt) => attempt.delivery_id === delivery.id) }));
}

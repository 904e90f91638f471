import { z } from 'zod';
import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineNativeDelete, defineNativeMutation, defineNativeQuery } from '../router/primitive.ts';
import { createWebhookSecret } from '../jobs/webhooks/signature.ts';
import { checkWebhookUrl } from '../jobs/webhooks/target-guard.ts';
import {
  createEndpointInputSchema,
  createdEndpointSchema,
  deliverySchema,
  endpointSchema,
  listDeliveriesInputSchema,
} from '../schema/api/webhooks.ts';
import type { WebhookEndpoint } from '../schema/db/types.ts';
import { deleteEndpoint, insertEndpoint, listDeliveries, listEndpoints } from '../schema/db/queries/webhooks.ts';

const toEndpointWire = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  topics: endpoint.topics,
  created_at: endpoint.created_at.toISOString(),
});

const create = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Webhooks',
  errorStatuses: [400, 401, 403, 429],
  run: async (input: z.output<typeof createEndpointInputSchema>, ctx) => {
    const problem = checkWebhookUrl(input.url, ctx.services.config.webhooks.allowPrivateTargets);
    if (problem) throw new ApiError('bad_request', `url: ${problem}`, { param: 'url' });
    const endpoint = await insertEndpoint(ctx.services.db, {
      projectId: ctx.principal.projectId,
      url: input.url,
      topics: [...new Set(input.topics)],
      secret: createWebhookSecret(),
    });
    return { ...toEndpointWire(endpoint), secret: endpoint.secret };
  },
  route: {
    path: '/infra/webhooks/endpoints',
    summary: 'Create webhook endpoint',
    description:
      'Operations that name one of these topics in webhook_topic send ai.operation.succeeded, .failed and .cancelled events here, ' +
      'signed with the returned secret (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature headers).',
    input: createEndpointInputSchema,
    toArgs: (input) => input,
    output: createdEndpointSchema,
    toOutput: (endpoint) => endpoint,
  },
});

const list = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Webhooks',
  errorStatuses: [401, 403, 429],
  run: async (_args: void, ctx) => (await listEndpoints(ctx.services.db, ctx.principal.projectId)).map(toEndpointWire),
  route: {
    path: '/infra/webhooks/endpoints',
    summary: 'List webhook endpoints',
    input: z.object({}),
    toArgs: () => undefined,
    output: z.array(endpointSchema),
    toOutput: (endpoints) => endpoints,
  },
});

const remove = defineNativeDelete({
  scope: 'ai:generate',
  tag: 'Webhooks',
  errorStatuses: [401, 403, 404, 429],
  run: async (endpointId: string, ctx) => {
    if (!(await deleteEndpoint(ctx.services.db, ctx.principal.projectId, endpointId))) {
      throw new ApiError('not_found', `endpoint_id: no endpoint "${endpointId}" in this project`, { param: 'endpoint_id' });
    }
    return { id: endpointId, deleted: true as const };
  },
  route: {
    path: '/infra/webhooks/endpoints/{endpoint_id}',
    summary: 'Delete webhook endpoint',
    input: z.object({ endpoint_id: z.string().min(1) }),
    toArgs: (input) => input.endpoint_id,
    output: z.object({ id: z.string(), deleted: z.literal(true) }),
    toOutput: (deleted) => deleted,
  },
});

const deliveries = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Webhooks',
  errorStatuses: [400, 401, 403, 429],
  run: async (query: z.output<typeof listDeliveriesInputSchema>, ctx) =>
    (await listDeliveries(ctx.services.db, { projectId: ctx.principal.projectId, ...query, operationId: query.operation_id, endpointId: query.endpoint_id })).map(
      (delivery) => ({
        id: delivery.id,
        endpoint_id: delivery.endpoint_id,
        operation_id: delivery.operation_id,
        event_type: delivery.event_type,
        status: delivery.status,
        created_at: delivery.created_at.toISOString(),
        completed_at: delivery.completed_at?.toISOString() ?? null,
        attempts: delivery.attempts.map((attempt) => ({
          attempt: attempt.attempt,
          status_code: attempt.status_code,
          error: attempt.error,
          duration_ms: attempt.duration_ms,
          created_at: attempt.created_at.toISOString(),
        })),
      }),
    ),
  route: {
    path: '/infra/webhooks/deliveries',
    summary: 'List webhook deliveries',
    description: 'Recent deliveries with every attempt (status code or error, duration), newest first.',
    input: listDeliveriesInputSchema,
    toArgs: (input) => input,
    output: z.array(deliverySchema),
    toOutput: (items) => items,
  },
});

export const webhooksRouter = router({ endpoints: router({ create, list, delete: remove }), deliveries });

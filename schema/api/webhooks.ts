import { z } from 'zod';

export const topicSchema = z.string().min(1).max(200).regex(/^[\w.:*-]+$/, 'letters, digits and . _ : - (or * for every topic)');

export const createEndpointInputSchema = z
  .strictObject({
    url: z.string().min(1).max(2048),
    topics: z.array(topicSchema).min(1).max(50),
  })
  .meta({ examples: [{ url: 'https://example.com/hooks/ai', topics: ['reports'] }] });

export const endpointSchema = z
  .object({ id: z.string(), url: z.string(), topics: z.array(z.string()), created_at: z.iso.datetime() })
  .meta({ id: 'WebhookEndpoint' });

export const createdEndpointSchema = endpointSchema
  .extend({ secret: z.string().meta({ description: 'Signing secret (whsec_...), shown only in this answer' }) })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const deliverySchema = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    operation_id: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    created_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
    attempts: z.array(
      z.object({
        attempt: z.int(),
        status_code: z.int().nullable(),
        error: z.string().nullable(),
        duration_ms: z.int(),
        created_at: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

export const listDeliveriesInputSchema = z
  .object({
    operation_id: z.string().min(1).optional(),
    endpoint_id: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .meta({ examples: [{ limit: 20 }] });

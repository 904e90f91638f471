import { z } from 'zod';
import { storageRefSchema } from './common.ts';

export const operationStatusSchema = z.enum(['queued', 'processing', 'succeeded', 'failed', 'cancelled']);

const timestamp = z.iso.datetime().nullable();

/** A primitive running in the background (`async: true`), as every route returns it with 202. */
export const operationSchema = z
  .object({
    id: z.string().meta({ example: 'aiop_3xY...' }),
    object: z.literal('ai.operation'),
    kind: z.string().meta({ description: 'The primitive, e.g. responses or chat.completions' }),
    status: operationStatusSchema,
    model: z.string().nullable(),
    created_at: z.iso.datetime(),
    queued_at: z.iso.datetime(),
    processing_at: timestamp,
    succeeded_at: timestamp,
    failed_at: timestamp,
    cancelled_at: timestamp,
    attempts: z.int(),
    usage: z.record(z.string(), z.unknown()).nullable(),
    result: z.unknown().nullable().meta({ description: 'The primitive output, when it was not written to result_destination' }),
    result_destination: storageRefSchema
      .extend({ content_type: z.string().optional(), size: z.int().optional() })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    webhook_topic: z.string().nullable(),
  })
  .meta({ id: 'Operation' });
export type OperationWire = z.infer<typeof operationSchema>;

export const operationIdInputSchema = z.object({ operation_id: z.string().min(1) });

export const listOperationsInputSchema = z
  .object({
    status: operationStatusSchema.optional(),
    kind: z.string().min(1).max(100).optional().meta({ description: 'The primitive, e.g. responses, embeddings, audio.speech' }),
    after: z.string().min(1).max(100).optional().meta({ description: 'Cursor: the last_id of the previous page' }),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .meta({ examples: [{ status: 'queued', limit: 10 }] });

export const operationListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(operationSchema),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  })
  .meta({ id: 'OperationList' });

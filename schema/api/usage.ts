import { z } from 'zod';
import { tokenAmountSchema } from './models.ts';

export const usageInputSchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).meta({ examples: [{ limit: 20 }] });

export const usageRecordSchema = z.object({
  primitive: z.string(),
  model: z.string().nullable(),
  key_id: z.string(),
  input_units: z.int(),
  output_units: z.int(),
  unit: z.string(),
  tokens_charged: tokenAmountSchema,
  latency_ms: z.int(),
  status: z.string(),
  request_id: z.string(),
  created_at: z.iso.datetime(),
  estimated: z.boolean().meta({
    description:
      'True when the units were counted by this service rather than reported by the model: an upstream that reports no usage, ' +
      'or a stream cut off before its end on a model with no tokenizer here (about four characters a token)',
  }),
});

export const usageSchema = z
  .object({
    project_id: z.string(),
    balance: z.string().meta({ description: 'Tokens left, exact decimal; reservations of calls in flight are already taken out' }),
    recent: z.array(usageRecordSchema),
    key: z
      .object({
        id: z.string(),
        scopes: z.array(z.string()),
        rate_limits: z.object({ requests_per_minute: z.int(), tokens_per_minute: z.int() }),
      })
      .meta({ description: 'The API key that asked: its scopes and its rate limits (its own, else its project\'s, else the defaults)' }),
  })
  .meta({ id: 'ProjectUsage' });

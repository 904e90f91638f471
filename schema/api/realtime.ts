import { z } from 'zod';

export const realtimeSessionRequestSchema = z
  .object({
    model: z.string().min(1).optional().meta({ description: 'A realtime model id; the first configured one when omitted' }),
    ttl_seconds: z.int().min(30).max(3600).default(60).meta({ description: 'How long the client secret can open a connection' }),
    voice: z.string().min(1).max(64).optional(),
    instructions: z.string().max(20_000).optional(),
    modalities: z.array(z.enum(['text', 'audio'])).min(1).optional(),
  })
  .meta({ id: 'CreateRealtimeSessionRequest' });
export type RealtimeSessionRequest = z.output<typeof realtimeSessionRequestSchema>;

export const realtimeSessionSchema = z
  .object({
    id: z.string().meta({ example: 'sess_...' }),
    object: z.literal('realtime.session'),
    model: z.string(),
    voice: z.string().nullable(),
    instructions: z.string().nullable(),
    modalities: z.array(z.string()).nullable(),
    expires_at: z.int().meta({ description: 'Unix seconds after which the client secret opens nothing' }),
    client_secret: z.object({ value: z.string().meta({ description: 'Ephemeral key (ek_...), shown once' }), expires_at: z.int() }),
    proxy_url: z.string().meta({ description: 'Connect here with the client secret (Authorization: Bearer, or the openai-insecure-api-key subprotocol)' }),
  })
  .meta({ id: 'RealtimeSession' });

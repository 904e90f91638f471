import { z } from 'zod';

export const realtimeSessionRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'A realtime model id; the first configured one when omitted' }),
    ttl_seconds: z.int().min(30).max(3600).default(60).meta({ description: 'How long the client secret can open a connection' }),
    voice: z.string().min(1).max(64).optional(),
    instructions: z.string().max(20_000).optional(),
    modalities: z.array(z.enum(['text', 'audio'])).min(1).optional(),
  })
  .meta({ id: 'CreateRealtimeSessionRequest', examples: [{ modalities: ['text'], ttl_seconds: 60 }] });
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

/** `POST /v1/realtime/client_secrets`, as the current OpenAI SDK sends it. */
export const clientSecretRequestSchema = z
  .strictObject({
    expires_after: z
      .object({ anchor: z.literal('created_at'), seconds: z.int().min(30).max(3600) })
      .optional()
      .meta({ description: 'How long the secret can open a connection (30-3600 s here)' }),
    session: z
      .object({
        type: z.literal('realtime', { error: 'Only realtime sessions are proxied' }),
        model: z.string().min(1).optional(),
        instructions: z.string().max(20_000).optional(),
        output_modalities: z.array(z.enum(['text', 'audio'])).min(1).optional(),
        audio: z.object({ output: z.object({ voice: z.string().min(1).max(64).optional() }).optional() }).optional(),
      })
      .optional(),
  })
  .meta({ id: 'CreateRealtimeClientSecretRequest', examples: [{ expires_after: { anchor: 'created_at', seconds: 60 }, session: { type: 'realtime' } }] });
export type ClientSecretRequest = z.output<typeof clientSecretRequestSchema>;

export const clientSecretSchema = z
  .object({
    value: z.string().meta({ description: 'Ephemeral key (ek_...), shown once' }),
    expires_at: z.int(),
    session: z.object({
      type: z.literal('realtime'),
      object: z.literal('realtime.session'),
      id: z.string(),
      model: z.string(),
      instructions: z.string().nullable(),
      output_modalities: z.array(z.string()).nullable(),
      audio: z.object({ output: z.object({ voice: z.string().nullable() }) }),
      proxy_url: z.string(),
    }),
  })
  .meta({ id: 'RealtimeClientSecret' });

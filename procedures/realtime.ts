import { createHash } from 'node:crypto';
import { runCharged } from '../accounts/billing.ts';
import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineMirroredMutations, defineMutationRoute } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import { createId, createRandomToken } from '../schema/db/ids.ts';
import { insertRealtimeSession } from '../schema/db/queries/realtime-sessions.ts';
import {
  clientSecretRequestSchema,
  clientSecretSchema,
  realtimeSessionRequestSchema,
  realtimeSessionSchema,
  type ClientSecretRequest,
  type RealtimeSessionRequest,
} from '../schema/api/realtime.ts';
import { resolveModelFor } from './models.ts';

export const realtimeProxyPath = '/v1/realtime';

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Mints a short-lived client secret for the websocket proxy: browsers and phones connect with it,
 * never with a provider key or the caller's API key.
 */
async function mintSession(request: RealtimeSessionRequest, ctx: CallContext) {
  const { services, principal } = ctx;
  if (!services.config.realtime) {
    throw new ApiError('not_implemented', 'Realtime proxy not configured: set REALTIME_UPSTREAM_URL on this deployment');
  }
  const entry = resolveModelFor(services.catalog, 'realtime', request.model, undefined);
  const oneSession = { input: 1, output: 0 };
  // The reference prices minting a session at 0.0000010 tokens; the relay's usage is metered apart.
  const sessionFee = { id: entry.id, pricing: { unit: 'call' as const, per_unit: '0.000001' } };
  const secret = `ek_${createRandomToken(40)}`;
  const expiresAt = new Date(Date.now() + request.ttl_seconds * 1000);
  const settings = {
    ...(request.voice ? { voice: request.voice } : {}),
    ...(request.instructions ? { instructions: request.instructions } : {}),
    ...(request.modalities ? { modalities: request.modalities } : {}),
  };
  const session = await runCharged(
    ctx,
    { primitive: 'realtime.sessions', model: sessionFee, upperBound: oneSession, rateEstimate: 0 },
    () =>
      insertRealtimeSession(services.db, {
        id: createId('sess'),
        projectId: principal.projectId,
        keyId: principal.keyId,
        model: entry.id,
        upstreamModel: entry.upstream_model,
        secretHash: hashClientSecret(secret),
        settings,
        expiresAt,
      }),
    () => oneSession,
  );
  const base = services.config.publicBaseUrl ?? `http://localhost:${services.config.port}`;
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return {
    id: session.id,
    object: 'realtime.session' as const,
    model: entry.id,
    voice: request.voice ?? null,
    instructions: request.instructions ?? null,
    modalities: request.modalities ?? null,
    expires_at: expires,
    client_secret: { value: secret, expires_at: expires },
    proxy_url: `${base.replace(/^http/, 'ws')}${realtimeProxyPath}`,
  };
}

const create = defineMirroredMutations({
  scope: 'ai:generate',
  tag: 'Realtime Sessions',
  errorStatuses: [400, 401, 402, 403, 429, 501],
  run: mintSession,
  input: realtimeSessionRequestSchema,
  output: realtimeSessionSchema,
  paths: {
    canonical: '/infra/ai/realtime/sessions',
    compat: '/v1/realtime/sessions',
    summary: 'Create realtime session',
    description: 'A short-lived client secret and the proxy URL to open a realtime websocket with; provider credentials never leave the server.',
  },
});

/** The current SDK's route: the same session, asked for and answered in the client_secrets shape. */
const clientSecrets = defineMutationRoute({
  scope: 'ai:generate',
  tag: 'Realtime Sessions',
  errorStatuses: [400, 401, 402, 403, 429, 501],
  run: mintSession,
  route: {
    path: '/v1/realtime/client_secrets',
    summary: 'Create realtime client secret (OpenAI-compatible)',
    description: 'OpenAI realtime.clientSecrets.create: an ephemeral key for the websocket proxy, with the session it opens.',
    input: clientSecretRequestSchema,
    toArgs: (input: ClientSecretRequest): RealtimeSessionRequest => ({
      model: input.session?.model,
      ttl_seconds: input.expires_after?.seconds ?? 600,
      voice: input.session?.audio?.output?.voice,
      instructions: input.session?.instructions,
      modalities: input.session?.output_modalities,
    }),
    output: clientSecretSchema,
    toOutput: (session) => ({
      value: session.client_secret.value,
      expires_at: session.client_secret.expires_at,
      session: {
        type: 'realtime' as const,
        object: 'realtime.session' as const,
        id: session.id,
        model: session.model,
        instructions: session.instructions,
        output_modalities: session.modalities,
        audio: { output: { voice: session.voice } },
        proxy_url: session.proxy_url,
      },
    }),
  },
});

export const realtimeRouter = router({ sessions: router({ create: create.canonical }) });
export const openAiRealtimeRouter = router({ sessions: router({ create: create.compat }), clientSecrets: router({ create: clientSecrets }) });

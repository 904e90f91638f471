import { ApiError } from './errors.ts';
import { isWellFormedApiKey } from './api-key-material.ts';
import { publicProcedure } from './trpc.ts';
import type { Scope } from './scopes.ts';

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;

/** Narrows the context to a principal: later code never checks for a missing caller. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.authorization) {
    throw new ApiError('unauthorized', 'Missing API key: send "Authorization: Bearer sk_live_..."');
  }
  const key = bearerPattern.exec(ctx.authorization)?.[1];
  if (!key || !isWellFormedApiKey(key)) {
    throw new ApiError('unauthorized', 'Malformed Authorization header: expected "Bearer sk_live_..."');
  }
  const principal = await ctx.services.keyStore.authenticate(key);
  if (!principal) throw new ApiError('unauthorized', 'Invalid or revoked API key');
  ctx.log.projectId = principal.projectId;
  return next({ ctx: { principal } });
});

/** Auth, then the route's scope, then the key's requests-per-minute budget (refused requests cost nothing). */
export function scopedProcedure(scope: Scope) {
  return authedProcedure.use(async ({ ctx, next }) => {
    if (!ctx.principal.scopes.has(scope)) {
      throw new ApiError('forbidden', `This API key lacks the "${scope}" scope required by this route`);
    }
    const limits = ctx.services.rateLimits;
    if (limits && !ctx.background) {
      const headers = await limits.consumeRequest(ctx.principal.keyId, ctx.principal.limits.requestsPerMinute);
      Object.assign(ctx.response.headers, headers);
    }
    return next();
  });
}

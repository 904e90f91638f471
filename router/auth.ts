import { ApiError } from './errors.ts';
import { isWellFormedApiKey } from '../accounts/api-key-material.ts';
import type { Services } from './context.ts';
import type { Principal } from '../accounts/key-store.ts';
import type { RateCount } from '../accounts/rate-limits.ts';
import type { Scope } from '../accounts/scopes.ts';

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;

/** The principal of an `Authorization: Bearer sk_live_...` header, or a 401. */
export async function authenticateHeader(services: Services, authorization: string | undefined): Promise<Principal> {
  if (!authorization) {
    throw new ApiError('unauthorized', 'Missing API key: send "Authorization: Bearer sk_live_..."');
  }
  const key = bearerPattern.exec(authorization)?.[1];
  if (!key) throw new ApiError('unauthorized', 'Malformed Authorization header: expected "Bearer sk_live_..."');
  // A bearer token of the wrong shape is a wrong key, said as such (no lookup is spent on it).
  if (!isWellFormedApiKey(key)) throw new ApiError('unauthorized', 'Invalid or revoked API key');
  const principal = await services.keyStore.authenticate(key);
  if (!principal) throw new ApiError('unauthorized', 'Invalid or revoked API key');
  return principal;
}

/** A 403 unless the key holds the scope a route requires. */
export function authorize(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) {
    throw new ApiError('forbidden', `This API key lacks the "${scope}" scope required by this route`);
  }
}

/**
 * The key's scopes for every route a request calls, then its requests-per-minute budget, one
 * request per call (refused requests cost nothing): what a request passes before its body is
 * read. The budget left is returned for the answer's rate-limit headers.
 */
export async function admitCalls(services: Services, principal: Principal, scopes: readonly Scope[]): Promise<RateCount | undefined> {
  for (const scope of scopes) authorize(principal, scope);
  const limits = services.rateLimits;
  if (!limits || scopes.length === 0) return undefined;
  const { keyId } = principal;
  const { requestsPerMinute } = principal.limits;
  return limits.tryConsume('requests', keyId, requestsPerMinute, scopes.length) ?? (await limits.consume('requests', keyId, requestsPerMinute, scopes.length));
}

/**
 * A resolver that first checks its caller holds `scope`: every procedure's own guard, whoever
 * calls it (the request pipeline has checked the same before reading the body; a background run,
 * or a realtime relay, checks nothing else). A plain function rather than a tRPC middleware: each
 * middleware step copies the call's options and context, several microseconds a call.
 */
export function scoped<O extends { ctx: { principal: Principal } }, R>(scope: Scope, resolver: (opts: O) => R): (opts: O) => R {
  return (opts) => {
    authorize(opts.ctx.principal, scope);
    return resolver(opts);
  };
}

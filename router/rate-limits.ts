import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from './errors.ts';

export interface Limits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

type Kind = 'requests' | 'tokens';

/** OpenAI's reset format: `1s`, `6m0s`, `250ms`. */
function formatReset(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.max(0, Math.ceil(milliseconds))}ms`;
  const seconds = Math.ceil(milliseconds / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** Requests taken from the shared store by this process and not yet spent. */
interface Lease {
  available: number;
  spent: number;
  /** The store's count when the lease was taken (it includes the whole lease). */
  consumed: number;
  expiresAt: number;
}

function leaseHeaders(limit: number, lease: Lease, now: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(Math.max(0, limit - lease.consumed + lease.available)),
    'x-ratelimit-reset-requests': formatReset(lease.expiresAt - now),
  };
}

function headersOf(kind: Kind, limit: number, state: RateLimiterRes): Record<string, string> {
  return {
    [`x-ratelimit-limit-${kind}`]: String(limit),
    [`x-ratelimit-remaining-${kind}`]: String(Math.max(0, limit - state.consumedPoints)),
    [`x-ratelimit-reset-${kind}`]: formatReset(state.msBeforeNext),
  };
}

/**
 * Requests and tokens per minute per API key, counted in a store every replica shares (Postgres,
 * or Redis when REDIS_URL is set), never in one process's memory. A rejected request gives its
 * points back, so it costs nothing.
 */
export class RateLimits {
  readonly #create: (points: number, keyPrefix: string) => RateLimiterAbstract;
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  readonly #leases = new Map<string, Lease>();

  constructor(store: { redis: Redis } | { pool: pg.Pool }) {
    this.#create = (points, keyPrefix) =>
      'redis' in store
        ? new RateLimiterRedis({ storeClient: store.redis, points, duration: 60, keyPrefix })
        : new RateLimiterPostgres({ storeClient: store.pool, storeType: 'pool', tableName: 'rate_limit_counters', tableCreated: true, points, duration: 60, keyPrefix });
  }

  /** Limiters differ only by their point budget; counters are keyed per API key. */
  #limiter(kind: Kind, points: number): RateLimiterAbstract {
    const id = `${kind}:${points}`;
    let limiter = this.#limiters.get(id);
    if (!limiter) {
      limiter = this.#create(points, `rl_${kind}`);
      this.#limiters.set(id, limiter);
    }
    return limiter;
  }

  /**
   * Counts one request. Busy keys take a lease of several requests at once from the shared
   * store and spend it here, so the store sees one write per lease rather than per request; what
   * every replica leases still sums to at most the limit. Small limits lease one at a time (exact).
   */
  async consumeRequest(keyId: string, limit: number): Promise<Record<string, string>> {
    const leaseKey = `${keyId}:${limit}`;
    const lease = this.#leases.get(leaseKey);
    const now = Date.now();
    if (lease && lease.expiresAt > now && lease.available > 0) {
      lease.available--;
      lease.spent++;
      return leaseHeaders(limit, lease, now);
    }
    const size = Math.max(1, Math.floor(limit / 50));
    const limiter = this.#limiter('requests', limit);
    for (const points of size > 1 ? [size, 1] : [1]) {
      try {
        const state = await limiter.consume(keyId, points);
        const fresh: Lease = { available: points - 1, spent: 1, consumed: state.consumedPoints, expiresAt: now + state.msBeforeNext };
        this.#leases.set(leaseKey, fresh);
        return leaseHeaders(limit, fresh, now);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await limiter.reward(keyId, points).catch(() => {});
        if (points === 1) {
          const headers = {
            ...headersOf('requests', limit, new RateLimiterRes(0, rejection.msBeforeNext, rejection.consumedPoints - points)),
            'Retry-After': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
          };
          throw new ApiError('rate_limited', `Rate limit reached: ${limit} requests per minute for this API key`, { headers, openAiCode: 'rate_limit_exceeded' });
        }
      }
    }
    throw new Error('unreachable');
  }

  /** Counts `points` against the key; the headers to send, or a 429 carrying them. */
  async consume(kind: Kind, keyId: string, limit: number, points: number): Promise<Record<string, string>> {
    const limiter = this.#limiter(kind, limit);
    try {
      return headersOf(kind, limit, await limiter.consume(keyId, points));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      await limiter.reward(keyId, points).catch(() => {});
      const headers = {
        ...headersOf(kind, limit, new RateLimiterRes(0, rejection.msBeforeNext, rejection.consumedPoints - points)),
        'Retry-After': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
      };
      const message =
        kind === 'requests'
          ? `Rate limit reached: ${limit} requests per minute for this API key`
          : `Rate limit reached: this request needs up to ${points} tokens and the API key has ${Math.max(0, limit - (rejection.consumedPoints - points))} of ${limit} left this minute`;
      throw new ApiError('rate_limited', message, { headers, openAiCode: 'rate_limit_exceeded' });
    }
  }

  /** Gives back tokens counted up front but not used. */
  async refund(keyId: string, limit: number, points: number): Promise<void> {
    if (points > 0) await this.#limiter('tokens', limit).reward(keyId, points).catch(() => {});
  }
}

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
  readonly #refills = new Map<string, Promise<void>>();
  /** Requests refused since start, by what ran out (read by /metrics: nothing is added to a call). */
  readonly refusals: Record<Kind, number> = { requests: 0, tokens: 0 };

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
   * every replica leases still sums to at most the limit. One refill per key at a time: requests
   * arriving meanwhile wait for it and share it, so concurrent callers never take a lease each
   * and strand their remainders. Small limits lease one at a time (exact).
   */
  async consumeRequest(keyId: string, limit: number): Promise<Record<string, string>> {
    const leaseKey = `${keyId}:${limit}`;
    for (;;) {
      const lease = this.#leases.get(leaseKey);
      const now = Date.now();
      if (lease && lease.expiresAt > now && lease.available > 0) {
        lease.available--;
        lease.spent++;
        return leaseHeaders(limit, lease, now);
      }
      let refill = this.#refills.get(leaseKey);
      if (!refill) {
        refill = this.#refill(keyId, limit, leaseKey).finally(() => this.#refills.delete(leaseKey));
        this.#refills.set(leaseKey, refill);
      }
      // A refused refill (the minute's budget is spent) refuses every request waiting on it.
      try {
        await refill;
      } catch (error) {
        if (error instanceof ApiError && error.apiCode === 'rate_limited') this.refusals.requests++;
        throw error;
      }
    }
  }

  /** Takes the next lease from the shared store: a full one, or what is left of the minute. */
  async #refill(keyId: string, limit: number, leaseKey: string): Promise<void> {
    const limiter = this.#limiter('requests', limit);
    let points = Math.max(1, Math.floor(limit / 50));
    for (;;) {
      try {
        const now = Date.now();
        const state = await limiter.consume(keyId, points);
        this.#leases.set(leaseKey, { available: points, spent: 0, consumed: state.consumedPoints, expiresAt: now + state.msBeforeNext });
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await limiter.reward(keyId, points).catch(() => {});
        const left = limit - (rejection.consumedPoints - points);
        if (left > 0 && left < points) {
          // Less than a lease is left this minute: take exactly that.
          points = left;
          continue;
        }
        const headers = {
          ...headersOf('requests', limit, new RateLimiterRes(0, rejection.msBeforeNext, rejection.consumedPoints - points)),
          'Retry-After': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
        };
        throw new ApiError('rate_limited', `Rate limit reached: ${limit} requests per minute for this API key`, { headers, openAiCode: 'rate_limit_exceeded' });
      }
    }
  }

  /**
   * Counts `points` against the key; the headers to send, or a 429 carrying them. A request that
   * needs more than the whole minute's budget could never pass: that is a 400 naming `param`.
   */
  async consume(kind: Kind, keyId: string, limit: number, points: number, param = 'input'): Promise<Record<string, string>> {
    if (points > limit) {
      throw new ApiError(
        'bad_request',
        `${param}: this request needs up to ${points} ${kind} and the API key may use ${limit} per minute, so it can never run; ask for less`,
        { param },
      );
    }
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
      this.refusals[kind]++;
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

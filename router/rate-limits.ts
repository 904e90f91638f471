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

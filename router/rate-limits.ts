import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from './errors.ts';

export interface Limits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

type Kind = 'requests' | 'tokens';

/** What counting a call left of one budget: OpenAI's x-ratelimit-* headers say it. */
export interface RateCount {
  limit: number;
  remaining: number;
  resetMs: number;
}

/** The budgets a call was counted against, as its answer reports them. */
export type RateCounts = Partial<Record<Kind, RateCount>>;

/** Every header `setRateLimitHeaders` may write (browsers may read them: CORS exposes this list). */
export const rateLimitHeaderNames = ['requests', 'tokens'].flatMap((kind) => ['limit', 'remaining', 'reset'].map((field) => `x-ratelimit-${field}-${kind}`));

/** OpenAI's reset format: `1s`, `6m0s`, `250ms`. */
function formatReset(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.max(0, Math.ceil(milliseconds))}ms`;
  const seconds = Math.ceil(milliseconds / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/**
 * Appends OpenAI's rate-limit headers for each budget counted to `into` as name, value pairs:
 * the raw form `writeHead` takes, which skips the per-header work of `setHeader`.
 */
export function pushRateLimitHeaders(into: string[], counts: RateCounts): string[] {
  const { requests, tokens } = counts;
  if (requests) {
    into.push('x-ratelimit-limit-requests', String(requests.limit), 'x-ratelimit-remaining-requests', String(Math.max(0, requests.remaining)));
    into.push('x-ratelimit-reset-requests', formatReset(requests.resetMs));
  }
  if (tokens) {
    into.push('x-ratelimit-limit-tokens', String(tokens.limit), 'x-ratelimit-remaining-tokens', String(Math.max(0, tokens.remaining)));
    into.push('x-ratelimit-reset-tokens', formatReset(tokens.resetMs));
  }
  return into;
}

/** The same headers set on an answer that other code goes on writing (streams, byte answers). */
export function setRateLimitHeaders(target: { setHeader(name: string, value: string): unknown }, counts: RateCounts): void {
  const pairs = pushRateLimitHeaders([], counts);
  for (let index = 0; index < pairs.length; index += 2) target.setHeader(pairs[index]!, pairs[index + 1]!);
}

/** The same headers as an object, for answers written by tRPC or carried by an error. */
export function rateLimitHeaders(counts: RateCounts): Record<string, string> {
  const pairs = pushRateLimitHeaders([], counts);
  const headers: Record<string, string> = {};
  for (let index = 0; index < pairs.length; index += 2) headers[pairs[index]!] = pairs[index + 1]!;
  return headers;
}

/** Points (requests or tokens) taken from the shared store by this process and not yet spent. */
interface Lease {
  /** The per-minute limit it was taken under: a key whose limit changes starts a new lease. */
  limit: number;
  available: number;
  /** The store's count when the lease was taken (it includes the whole lease). */
  consumed: number;
  /** When spending from it stops: our clock before the store was asked, so never after the store's window. */
  expiresAt: number;
  /** When the store's window has surely ended (our clock after its answer): the next lease is taken from then. */
  renewAt: number;
  /** Points taken in the window's last tenth: how much of the next window is taken ahead. */
  takenLate: number;
}

/** A fiftieth of the minute's budget; below 2, leases are one point at a time (exact), never taken ahead. */
const leaseSizeOf = (limit: number) => Math.floor(limit / 50);
const takesAhead = (limit: number) => leaseSizeOf(limit) >= 2;

/** One refill per key, kind and limit at a time: its key in `#refills`. */
const refillKeyOf = (kind: Kind, keyId: string, limit: number) => `${kind}:${keyId}:${limit}`;

/** One call's points taken from a lease: the budget left, and a way to give back what the call did not use. */
export class Counted implements RateCount {
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
  readonly #lease: Lease;
  readonly #points: number;

  constructor(lease: Lease, points: number, limit: number, now: number) {
    this.#lease = lease;
    this.#points = points;
    this.limit = limit;
    this.remaining = limit - lease.consumed + lease.available;
    this.resetMs = lease.expiresAt - now;
  }

  /**
   * Unused points go back to the lease they came from while its minute lasts (a lease is only
   * replaced once expired); after that the store's count has started again.
   */
  giveBack(unused: number): void {
    const lease = this.#lease;
    if (unused > 0 && lease.expiresAt > Date.now()) lease.available += Math.min(unused, this.#points);
  }
}

/**
 * Requests and tokens per minute per API key, counted in a store every replica shares (Postgres,
 * or Redis when REDIS_URL is set), never in one process's memory. A rejected request gives its
 * points back, so it costs nothing.
 */
export class RateLimits {
  readonly #create: (points: number, keyPrefix: string) => RateLimiterAbstract;
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  /** By kind, then API key id (looked up per call: no key string is built for it). */
  readonly #leases: Record<Kind, Map<string, Lease>> = { requests: new Map(), tokens: new Map() };
  readonly #refills = new Map<string, Promise<void>>();
  /** Requests refused since start, by what ran out (read by /metrics: nothing is added to a call). */
  readonly refusals: Record<Kind, number> = { requests: 0, tokens: 0 };
  readonly #windowMs: number;
  /** A window's last tenth: what a key takes in it is taken ahead for the next window. */
  readonly #lateMs: number;
  #closed = false;

  /** `windowSeconds` is a minute except in tests, which cannot wait one. */
  constructor(store: { redis: Redis } | { pool: pg.Pool }, windowSeconds = 60) {
    this.#windowMs = windowSeconds * 1000;
    this.#lateMs = this.#windowMs / 10;
    this.#create = (points, keyPrefix) =>
      'redis' in store
        ? new RateLimiterRedis({ storeClient: store.redis, points, duration: windowSeconds, keyPrefix })
        : new RateLimiterPostgres({ storeClient: store.pool, storeType: 'pool', tableName: 'rate_limit_counters', tableCreated: true, points, duration: windowSeconds, keyPrefix });
  }

  /** Stops renewing leases (the store is about to close). */
  close(): void {
    this.#closed = true;
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
   * Counts `points` against the key: the budget left (for the headers) and a way to give back what
   * the call did not use, or a 429 carrying the headers. A request that needs more than the whole
   * minute's budget could never pass: that is a 400 naming `param`.
   */
  async consume(kind: Kind, keyId: string, limit: number, points: number, param = 'input'): Promise<Counted> {
    if (points > limit) {
      throw new ApiError(
        'bad_request',
        `${param}: this request needs up to ${points} ${kind} and the API key may use ${limit} per minute, so it can never run; ask for less`,
        { param },
      );
    }
    const refillKey = refillKeyOf(kind, keyId, limit);
    for (;;) {
      const counted = this.#takeFromLease(kind, keyId, limit, points);
      if (counted) return counted;
      const needed = points - (this.#liveLease(kind, keyId, limit, Date.now())?.available ?? 0);
      const refill = this.#refills.get(refillKey) ?? this.#startRefill(kind, keyId, limit, needed, points, leaseSizeOf(limit));
      try {
        await refill;
      } catch (error) {
        // A refused refill (the minute's budget is spent) refuses every request waiting on it.
        if (error instanceof ApiError && error.apiCode === 'rate_limited') this.refusals[kind]++;
        throw error;
      }
    }
  }

  /** One refill per key and limit at a time; calls arriving meanwhile wait for it and share it. */
  #startRefill(kind: Kind, keyId: string, limit: number, needed: number, requested: number, want: number): Promise<void> {
    const refillKey = refillKeyOf(kind, keyId, limit);
    const refill = this.#refill(kind, keyId, limit, needed, requested, want).finally(() => this.#refills.delete(refillKey));
    this.#refills.set(refillKey, refill);
    return refill;
  }

  /**
   * A refill nobody waits for (ahead of need, or for the next window): a refusal or a store error
   * meets the next call that needs the store instead.
   */
  #refillAhead(kind: Kind, keyId: string, limit: number, want: number): Promise<void> | undefined {
    if (this.#closed || this.#refills.has(refillKeyOf(kind, keyId, limit))) return undefined;
    return this.#startRefill(kind, keyId, limit, 1, 1, want).catch(() => {});
  }

  /**
   * When a lease's window ends, a key that took from it in the window's last tenth gets its next
   * lease at once, from a timer, sized to what it took in that tenth (at most a full lease): its
   * next call finds points here instead of waiting for the store. A key quiet by then, or one
   * whose limit leases a point at a time, takes nothing ahead.
   */
  #renewWhenWindowEnds(kind: Kind, keyId: string, limit: number, lease: Lease): void {
    const renew = () => {
      if (this.#leases[kind].get(keyId) !== lease || lease.takenLate === 0) return;
      // Timers keep their own clock and may fire a millisecond early.
      const left = lease.renewAt - Date.now();
      if (left > 0) {
        setTimeout(renew, left).unref();
        return;
      }
      void this.#refillAhead(kind, keyId, limit, Math.min(leaseSizeOf(limit), lease.takenLate))?.then(() => {
        // Should the store's window still have been open (clocks), the refill grew a lease of its
        // last moments: that one is renewed in turn.
        const renewed = this.#leases[kind].get(keyId);
        if (renewed && renewed !== lease && renewed.expiresAt - Date.now() < this.#lateMs) renewed.takenLate ||= lease.takenLate;
      });
    };
    if (takesAhead(limit)) setTimeout(renew, Math.max(0, lease.renewAt - Date.now())).unref();
  }

  /**
   * `consume` without waiting, when this process's lease covers the points (the usual case for a
   * busy key): undefined means the caller must `consume`, which may go to the shared store.
   */
  tryConsume(kind: Kind, keyId: string, limit: number, points: number): Counted | undefined {
    return points > limit ? undefined : this.#takeFromLease(kind, keyId, limit, points);
  }

  /**
   * Busy keys take a lease of a fiftieth of the minute's budget at once from the shared store
   * and spend it here, so the store sees one write per lease rather than per request; what every
   * replica leases still sums to at most the limit. One refill per key at a time: requests
   * arriving meanwhile wait for it and share it, so concurrent callers never take a lease each
   * and strand their remainders. Small limits lease one point at a time (exact).
   */
  #takeFromLease(kind: Kind, keyId: string, limit: number, points: number): Counted | undefined {
    const now = Date.now();
    const lease = this.#liveLease(kind, keyId, limit, now);
    if (!lease || lease.available < points) return undefined;
    lease.available -= points;
    if (now >= lease.expiresAt - this.#lateMs) lease.takenLate += points;
    // Half a lease left: the next one is taken now, so the calls after it do not wait for the store.
    if (takesAhead(limit) && lease.available < leaseSizeOf(limit) / 2) void this.#refillAhead(kind, keyId, limit, leaseSizeOf(limit));
    return new Counted(lease, points, limit, now);
  }

  /** The key's lease of this minute, if it was taken under this limit. */
  #liveLease(kind: Kind, keyId: string, limit: number, now: number): Lease | undefined {
    const lease = this.#leases[kind].get(keyId);
    return lease && lease.limit === limit && lease.expiresAt > now ? lease : undefined;
  }

  /** Takes at least `needed` more from the shared store: `want` (a lease), or what is left of the minute. */
  async #refill(kind: Kind, keyId: string, limit: number, needed: number, requested: number, want: number): Promise<void> {
    const limiter = this.#limiter(kind, limit);
    let points = Math.max(needed, want);
    for (;;) {
      try {
        const now = Date.now();
        const state = await limiter.consume(keyId, points);
        const current = this.#liveLease(kind, keyId, limit, now);
        if (current) {
          // Same minute: the lease grows, so calls still holding points from it can give them back.
          current.available += points;
          current.consumed = state.consumedPoints;
        } else {
          const lease: Lease = {
            limit,
            available: points,
            consumed: state.consumedPoints,
            expiresAt: now + state.msBeforeNext,
            renewAt: Date.now() + state.msBeforeNext + 1,
            takenLate: 0,
          };
          this.#leases[kind].set(keyId, lease);
          this.#renewWhenWindowEnds(kind, keyId, limit, lease);
        }
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await limiter.reward(keyId, points).catch(() => {});
        const left = limit - (rejection.consumedPoints - points);
        if (left >= needed && left < points) {
          // Less than a lease is left this minute: take exactly that.
          points = left;
          continue;
        }
        const counted: RateCount = { limit, remaining: limit - (rejection.consumedPoints - points), resetMs: rejection.msBeforeNext };
        const headers = {
          ...rateLimitHeaders({ [kind]: counted }),
          'Retry-After': String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
        };
        const message =
          kind === 'requests'
            ? `Rate limit reached: ${limit} requests per minute for this API key`
            : `Rate limit reached: this request needs up to ${requested} tokens and the API key has ${Math.max(0, left)} of ${limit} left this minute`;
        throw new ApiError('rate_limited', message, { headers, openAiCode: 'rate_limit_exceeded' });
      }
    }
  }
}

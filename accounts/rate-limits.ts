import { randomUUID } from 'node:crypto';
import { AccountError } from './account-error.ts';
import type { RateLimitLeaseStore, RateLimitTake } from './rate-limit-lease-store.ts';
import { parseMessage, ReclaimRounds, returnedMessage } from './rate-limit-messages.ts';

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
  /** The store's count when the lease last grew (it includes the whole lease). */
  consumed: number;
  /** When spending from it stops: our clock before the store was asked, so never after the store's window. */
  expiresAt: number;
  /** When the store's window has surely ended (our clock after its answer): the next lease is taken from then. */
  renewAt: number;
  /** Points taken in the window's last tenth: how much of the next window is taken ahead. */
  takenLate: number;
  /** The counter's key in the store. */
  key: string;
  /** The store's clock at the window's end: which window the points belong to. */
  windowEnd: number;
  /**
   * Surplus the store counts as held here since this process last gave all it had back: while
   * above 0, unused points wait here (a refuser will ask for them); at 0 they go back to the store.
   */
  surplusHeld: number;
  /** The store granted nothing ahead of need (the window is near its end): ask no more this window. */
  aheadDeclined: boolean;
  /** Gives points a call did not use to the store (when the lease holds no surplus the store knows of). */
  returnToStore(points: number): void;
}

/** What the store had left of a key's window when it refused a take: calls needing more are refused here, until points come back. */
interface Exhausted {
  limit: number;
  available: number;
  expiresAt: number;
}

/** A call waiting for the store. */
interface Waiter {
  points: number;
  resolve(counted: Counted): void;
  reject(error: unknown): void;
}

/** A fiftieth of the minute's budget; below 2, nothing is leased beyond what calls spend at once. */
const leaseSizeOf = (limit: number) => Math.floor(limit / 50);
const takesAhead = (limit: number) => leaseSizeOf(limit) >= 2;

/** How often a refused take asks holders for unspent points before the calls are refused. */
const reclaimRounds = 3;

/** The counter's key in the store (rate-limiter-flexible's, which kept these counters before). */
const storeKeyOf = (kind: Kind, keyId: string) => `rl_${kind}:${keyId}`;
function parseStoreKey(key: string): { kind: Kind; keyId: string } | undefined {
  const separator = key.indexOf(':');
  const kind = key.slice(3, separator);
  return kind === 'requests' || kind === 'tokens' ? { kind, keyId: key.slice(separator + 1) } : undefined;
}

/** One store call per key, kind and limit at a time: its key in `#ahead` and `#queues`. */
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
   * Unused points go back while their window lasts: to the lease they came from when the store
   * knows it holds surplus (a refuser will ask for it), else to the store, where every process
   * finds them. After the window the store's count has started again.
   */
  giveBack(unused: number): void {
    const lease = this.#lease;
    if (unused <= 0 || lease.expiresAt <= Date.now()) return;
    const points = Math.min(unused, this.#points);
    if (lease.surplusHeld > 0) lease.available += points;
    else lease.returnToStore(points);
  }
}

/**
 * Requests and tokens per minute per API key, counted in a store every replica shares (Postgres,
 * or Redis when REDIS_URL is set), never in one process's memory. A refused request costs nothing.
 *
 * Busy keys take leases (a fiftieth of the limit) and spend them here, so the store sees one write
 * per lease. No call inside the budget is refused for points stranded in another process: takes
 * for waiting calls take exactly what they spend, surplus leases shrink with what is left of the
 * window (at most `left / (2 · holders)`), the store records each holder's surplus, and a take the
 * store refuses while another holder may have some unspent asks it (through the store's channel)
 * to give it back, then tries again; from the first refusal in a window on, nothing is leased
 * beyond what waiting calls spend. Never more than the limit: every point served was taken from
 * the store's window first; a process that dies holding points strands them until the window ends.
 */
export class RateLimits {
  readonly #store: RateLimitLeaseStore;
  /** This process in the store's holder entries. */
  readonly #holder = randomUUID();
  readonly #reclaims: ReclaimRounds;
  /** By kind, then API key id (looked up per call: no key string is built for it). */
  readonly #leases: Record<Kind, Map<string, Lease>> = { requests: new Map(), tokens: new Map() };
  /** Takes of surplus nobody waits for (ahead of need, or for the next window), by refill key. */
  readonly #ahead = new Map<string, Promise<RateLimitTake | undefined>>();
  /** Calls waiting for the store, by refill key; one drain serves each queue. */
  readonly #queues = new Map<string, Waiter[]>();
  /** By store key. */
  readonly #exhausted = new Map<string, Exhausted>();
  /** Store keys with a take on its way, and how many. */
  readonly #takesInFlight = new Map<string, number>();
  /** Points-came-back messages heard: a refusal seen across one is not remembered. */
  #returnsHeard = 0;
  /** Requests refused since start, by what ran out (read by /metrics: nothing is added to a call). */
  readonly refusals: Record<Kind, number> = { requests: 0, tokens: 0 };
  readonly #windowMs: number;
  /** A window's last tenth: what a key takes in it is taken ahead for the next window. */
  readonly #lateMs: number;
  #closed = false;

  /**
   * `windowSeconds` is a minute except in tests, which cannot wait one. `reclaimTimeoutMs`: how
   * long a refusal waits for holders to give unspent points back before it forgets them.
   */
  constructor(store: RateLimitLeaseStore, windowSeconds = 60, options: { reclaimTimeoutMs?: number } = {}) {
    this.#store = store;
    this.#windowMs = windowSeconds * 1000;
    this.#lateMs = this.#windowMs / 10;
    this.#reclaims = new ReclaimRounds(store, this.#holder, options.reclaimTimeoutMs ?? 1000);
    store.listen(
      (message) => this.#heard(message),
      // Points may have come back unheard.
      () => this.#exhausted.clear(),
    );
  }

  /** Stops taking points, gives back every unspent one, and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const now = Date.now();
    const returns: Promise<void>[] = [];
    for (const kind of ['requests', 'tokens'] as const) {
      for (const lease of this.#leases[kind].values()) {
        if (lease.expiresAt <= now || (lease.available === 0 && lease.surplusHeld === 0)) continue;
        returns.push(this.#giveBack(lease, -1));
      }
    }
    await Promise.all(returns);
    await this.#store.close();
  }

  /**
   * Counts `points` against the key: the budget left (for the headers) and a way to give back what
   * the call did not use, or a 429 carrying the headers. A request that needs more than the whole
   * minute's budget could never pass: that is a 400 naming `param`.
   */
  consume(kind: Kind, keyId: string, limit: number, points: number, param = 'input'): Promise<Counted> {
    if (points > limit) {
      return Promise.reject(
        new AccountError(
          'bad_request',
          `${param}: this request needs up to ${points} ${kind} and the API key may use ${limit} per minute, so it can never run; ask for less`,
          { param },
        ),
      );
    }
    const counted = this.#takeFromLease(kind, keyId, limit, points);
    if (counted) return Promise.resolve(counted);
    const now = Date.now();
    const key = storeKeyOf(kind, keyId);
    const exhausted = this.#exhausted.get(key);
    if (exhausted && exhausted.expiresAt <= now) this.#exhausted.delete(key);
    else if (exhausted && exhausted.limit === limit) {
      const have = this.#liveLease(kind, keyId, limit, now)?.available ?? 0;
      if (points > exhausted.available + have) return Promise.reject(this.#refusal(kind, limit, points, exhausted, have));
    }
    const refillKey = refillKeyOf(kind, keyId, limit);
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(refillKey);
      if (queue) return void queue.push({ points, resolve, reject });
      const started: Waiter[] = [{ points, resolve, reject }];
      this.#queues.set(refillKey, started);
      void this.#drain(kind, keyId, limit, refillKey, started);
    });
  }

  /**
   * Serves a key's waiting calls in order: from the lease while it covers them, else with one take
   * from the store for all of them (and a lease beyond), so concurrent callers never take a lease
   * each and strand their remainders. A refused take first reclaims what other holders may have
   * left; then every waiting call it cannot cover is refused.
   */
  async #drain(kind: Kind, keyId: string, limit: number, refillKey: string, queue: Waiter[]): Promise<void> {
    const key = storeKeyOf(kind, keyId);
    try {
      // One store call per key at a time: the points it brings may cover the queue.
      await this.#ahead.get(refillKey);
      let rounds = 0;
      while (queue.length > 0) {
        const now = Date.now();
        const lease = this.#liveLease(kind, keyId, limit, now);
        while (lease && queue.length > 0 && lease.available >= queue[0]!.points) {
          const waiter = queue.shift()!;
          waiter.resolve(this.#spend(lease, waiter.points, limit, now));
        }
        if (queue.length === 0) {
          // Unqueued before the lease is topped up ahead, which no queue may wait for.
          this.#queues.delete(refillKey);
          if (lease) this.#takeAheadIfLow(kind, keyId, limit, lease);
          return;
        }
        const have = lease?.available ?? 0;
        const waiting = queue.reduce((sum, waiter) => sum + waiter.points, 0);
        const returnsHeard = this.#returnsHeard;
        const take = await this.#take(kind, keyId, limit, queue[0]!.points - have, waiting - have, takesAhead(limit) ? leaseSizeOf(limit) : 0);
        if (take.granted > 0) {
          rounds = 0;
          continue;
        }
        if (take.holding.length > 0 && rounds++ < reclaimRounds) {
          await this.#reclaims.run(key, take.windowEnd, take.holding);
          continue;
        }
        const exhausted: Exhausted = { limit, available: limit - take.consumed, expiresAt: now + take.msLeft };
        if (this.#returnsHeard === returnsHeard) this.#exhausted.set(key, exhausted);
        this.#refuseUncovered(kind, keyId, limit, queue, exhausted);
      }
    } catch (error) {
      for (const waiter of queue.splice(0)) waiter.reject(error);
    } finally {
      // Before any waiter resumes: a call it makes next starts a queue of its own.
      this.#queues.delete(refillKey);
    }
  }

  /** After a refused take: refuses the waiting calls that what is left cannot cover. */
  #refuseUncovered(kind: Kind, keyId: string, limit: number, queue: Waiter[], exhausted: Exhausted): void {
    const lease = this.#liveLease(kind, keyId, limit, Date.now());
    const have = lease?.available ?? 0;
    let kept = 0;
    for (const waiter of queue) {
      if (waiter.points > exhausted.available + have) waiter.reject(this.#refusal(kind, limit, waiter.points, exhausted, have));
      else queue[kept++] = waiter;
    }
    queue.length = kept;
    // Points taken for calls that turned out bigger than them, which the store believes spent:
    // back to it, for whichever process has a call they cover.
    if (kept === 0 && lease && lease.surplusHeld === 0 && lease.available > 0) {
      void this.#giveBack(lease, 0);
    }
  }

  #refusal(kind: Kind, limit: number, requested: number, exhausted: Exhausted, have: number): AccountError {
    this.refusals[kind]++;
    const msLeft = Math.max(0, exhausted.expiresAt - Date.now());
    const left = Math.max(0, exhausted.available + have);
    const counted: RateCount = { limit, remaining: left, resetMs: msLeft };
    const headers = { ...rateLimitHeaders({ [kind]: counted }), 'Retry-After': String(Math.max(1, Math.ceil(msLeft / 1000))) };
    const message =
      kind === 'requests'
        ? `Rate limit reached: ${limit} requests per minute for this API key`
        : `Rate limit reached: this request needs up to ${requested} tokens and the API key has ${left} of ${limit} left this minute`;
    return new AccountError('rate_limited', message, { headers, openAiCode: 'rate_limit_exceeded' });
  }

  /**
   * Takes from the key's window: `need` or nothing, `demand` for calls served at once, up to
   * `want` in all (see RateLimitLeaseStore.take). What is granted joins the window's lease.
   */
  async #take(kind: Kind, keyId: string, limit: number, need: number, demand: number, want: number): Promise<RateLimitTake> {
    const key = storeKeyOf(kind, keyId);
    const before = Date.now();
    this.#takesInFlight.set(key, (this.#takesInFlight.get(key) ?? 0) + 1);
    let take: RateLimitTake;
    try {
      take = await this.#store.take(this.#holder, { key, limit, need, demand, want, windowMs: this.#windowMs });
    } finally {
      const left = this.#takesInFlight.get(key)! - 1;
      if (left > 0) this.#takesInFlight.set(key, left);
      else this.#takesInFlight.delete(key);
    }
    if (take.granted === 0) return take;
    this.#exhausted.delete(key);
    const current = this.#leases[kind].get(keyId);
    const sameWindow = current?.windowEnd === take.windowEnd;
    if (current && sameWindow && current.limit === limit && current.expiresAt > before) {
      // Calls still holding points from the lease may give them back to it.
      current.available += take.granted;
      current.consumed = take.consumed;
      current.surplusHeld += take.surplus;
      return take;
    }
    // A lease of the same window under another limit (the key's limit changed): its points and
    // surplus move here, so a reclaim finds them; calls giving back to it go to the store.
    const carried = current && sameWindow ? { available: current.available, surplusHeld: current.surplusHeld } : undefined;
    if (current && sameWindow) {
      current.available = 0;
      current.surplusHeld = 0;
    }
    const lease: Lease = {
      limit,
      available: take.granted + (carried?.available ?? 0),
      consumed: take.consumed,
      expiresAt: before + take.msLeft,
      renewAt: Date.now() + take.msLeft + 1,
      takenLate: 0,
      key,
      windowEnd: take.windowEnd,
      surplusHeld: take.surplus + (carried?.surplusHeld ?? 0),
      aheadDeclined: false,
      returnToStore: (points) => {
        lease.available += points;
        void this.#giveBack(lease, 0);
      },
    };
    this.#leases[kind].set(keyId, lease);
    this.#renewWhenWindowEnds(kind, keyId, limit, lease);
    return take;
  }

  /**
   * Surplus nobody waits for (ahead of need, or for the next window). When the store grants none,
   * the window is near its end and the lease asks no more; a store error meets the next call that
   * needs the store instead.
   */
  #refillAhead(kind: Kind, keyId: string, limit: number, want: number): Promise<RateLimitTake | undefined> | undefined {
    const refillKey = refillKeyOf(kind, keyId, limit);
    if (this.#closed || this.#ahead.has(refillKey) || this.#queues.has(refillKey)) return undefined;
    const ahead = this.#take(kind, keyId, limit, 0, 0, want).then(
      (take) => {
        const lease = this.#leases[kind].get(keyId);
        if (take.granted === 0 && lease?.windowEnd === take.windowEnd) lease.aheadDeclined = true;
        return take;
      },
      () => undefined,
    );
    this.#ahead.set(refillKey, ahead);
    void ahead.finally(() => this.#ahead.delete(refillKey));
    return ahead;
  }

  /**
   * When a lease's window ends, a key that took from it in the window's last tenth gets its next
   * lease at once, from a timer, sized to what it took in that tenth (at most a full lease): its
   * next call finds points here instead of waiting for the store. A key quiet by then, or one
   * whose limit leases nothing beyond its calls, takes nothing ahead.
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

  /** Spends from this process's lease (then maybe takes the next one ahead). */
  #takeFromLease(kind: Kind, keyId: string, limit: number, points: number): Counted | undefined {
    const now = Date.now();
    const lease = this.#liveLease(kind, keyId, limit, now);
    if (!lease || lease.available < points) return undefined;
    const counted = this.#spend(lease, points, limit, now);
    this.#takeAheadIfLow(kind, keyId, limit, lease);
    return counted;
  }

  /** With half a lease left, the next one is taken now, so the calls after it do not wait for the store. */
  #takeAheadIfLow(kind: Kind, keyId: string, limit: number, lease: Lease): void {
    if (lease.available < leaseSizeOf(limit) / 2 && takesAhead(limit) && !lease.aheadDeclined) void this.#refillAhead(kind, keyId, limit, leaseSizeOf(limit));
  }

  #spend(lease: Lease, points: number, limit: number, now: number): Counted {
    lease.available -= points;
    if (now >= lease.expiresAt - this.#lateMs) lease.takenLate += points;
    return new Counted(lease, points, limit, now);
  }

  /** The key's lease of this minute, if it was taken under this limit. */
  #liveLease(kind: Kind, keyId: string, limit: number, now: number): Lease | undefined {
    const lease = this.#leases[kind].get(keyId);
    return lease && lease.limit === limit && lease.expiresAt > now ? lease : undefined;
  }

  /**
   * Gives everything the lease has left back to the store and announces it (`round`: the reclaim
   * it answers). `settled`: how much of the holder's surplus entry this clears, all when negative.
   */
  #giveBack(lease: Lease, settled: number, round?: string): Promise<void> {
    const { key, available: points } = lease;
    lease.available = 0;
    if (settled !== 0) lease.surplusHeld = 0;
    const message = returnedMessage({ returned: key, window: lease.windowEnd, holder: this.#holder, ...(round ? { round } : {}) });
    return this.#store.giveBack({ key, windowEnd: lease.windowEnd, holder: this.#holder, points, settled, message }).catch(() => {
      // Unreachable store: the points stay counted there, so nothing can be served twice.
    });
  }

  #heard(text: string): void {
    const message = parseMessage(text);
    if (!message) return;
    if ('reclaim' in message) {
      if (message.holders.includes(this.#holder)) this.#answerReclaim(message.key, message.window, message.reclaim);
      return;
    }
    this.#returnsHeard++;
    this.#exhausted.delete(message.returned);
    if (message.round) this.#reclaims.answered(message.round, message.holder);
  }

  /**
   * Another process was refused while the store counted surplus here: everything this process has
   * left of that window goes back. Without a lease of that window there is nothing to give, and
   * the entry is cleared unless a take is on its way (its surplus is not here yet).
   */
  #answerReclaim(key: string, window: number, round: string): void {
    const parsed = parseStoreKey(key);
    const lease = parsed && this.#leases[parsed.kind].get(parsed.keyId);
    const settled = this.#takesInFlight.has(key) ? 0 : -1;
    if (lease && lease.windowEnd === window) {
      void this.#giveBack(lease, lease.surplusHeld > 0 ? lease.surplusHeld : settled, round);
      return;
    }
    const message = returnedMessage({ returned: key, window, holder: this.#holder, round });
    this.#store.giveBack({ key, windowEnd: window, holder: this.#holder, points: 0, settled, message }).catch(() => {});
  }
}

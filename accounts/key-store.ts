import type { Kysely } from 'kysely';
import { listen, type Listener } from '../schema/db/listen.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';
import { apiKeyRevokedChannel, findActiveApiKeyByHash, findActiveApiKeyById, type ActiveApiKey } from '../schema/db/queries/api-keys.ts';
import { hashApiKey } from './api-key-material.ts';
import { isScope, type Scope } from './scopes.ts';
import type { Limits } from './rate-limits.ts';
import { AccountError } from './account-error.ts';

export interface Principal {
  projectId: string;
  keyId: string;
  scopes: ReadonlySet<Scope>;
  /** The key's own limits, else its project's, else the configured defaults. */
  limits: Limits;
}

interface CachedPrincipal {
  principal: Principal;
  expiresAt: number;
}

/**
 * Resolves bearer keys to principals. Hits are cached for a short while so the hot path does no
 * query; a revocation anywhere NOTIFYs every replica, which evicts at once. The TTL bounds
 * staleness should the LISTEN connection drop. A busy key is read again in the background during
 * the last fifth of its TTL, so its calls never wait for the database when it expires; callers
 * of a key that is not cached share one read.
 */
export class KeyStore {
  readonly #db: Kysely<Database>;
  readonly #cache = new Map<string, CachedPrincipal>();
  /** Background runs' keys by id (bounded), with the hash a revocation names them by. */
  readonly #byId = new Map<string, CachedPrincipal & { keyHash: string }>();
  /** Recently seen keys' hashes, so a busy key is not hashed on every call; bounded (oldest out first). */
  readonly #hashes = new Map<string, string>();
  readonly #ttlMs: number;
  readonly #logger: Logger;
  /** Reads of keys not cached, shared by every caller of the same key meanwhile. */
  readonly #reads = new Map<string, Promise<Principal | undefined>>();
  /** Counts evictions: a read that began before one must not cache what it read. */
  #evictions = 0;
  #listener: Listener | undefined;
  #reachability: DatabaseReachability | undefined;
  #closed = false;
  /**
   * Reads of keys not cached run a few at a time, with a bounded line behind them: a flood of
   * made-up keys costs a few indexed lookups at once and never takes the database's connections
   * from the calls of known keys; past the line it is a 503 to retry.
   */
  readonly #readSlots = new ReadSlots(8, 1024);

  readonly #defaultLimits: Limits;

  constructor(options: { db: Kysely<Database>; logger: Logger; defaultLimits: Limits; ttlMs?: number }) {
    this.#db = options.db;
    this.#defaultLimits = options.defaultLimits;
    this.#logger = options.logger;
    this.#ttlMs = options.ttlMs ?? 30_000;
  }

  #hashOf(key: string): string {
    let keyHash = this.#hashes.get(key);
    if (keyHash === undefined) {
      keyHash = hashApiKey(key);
      if (this.#hashes.size >= 10_000) this.#hashes.delete(this.#hashes.keys().next().value!);
      this.#hashes.set(key, keyHash);
    }
    return keyHash;
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const keyHash = this.#hashOf(key);
    const cached = this.#cache.get(keyHash);
    const now = Date.now();
    if (cached && cached.expiresAt > now) {
      // One read ahead at a time: it is in `#reads` while it runs.
      if (cached.expiresAt - now < this.#ttlMs / 5 && !this.#reads.has(keyHash)) {
        this.#sharedRead(keyHash).catch((error: unknown) => {
          if (!this.#reachability?.report(error, 'key store')) this.#logger.warn({ err: error }, 'reading an API key ahead of its cache expiry failed');
        });
      }
      return cached.principal;
    }
    this.#cache.delete(keyHash);
    return this.#sharedRead(keyHash);
  }

  /** The read of this key under way (a call after expiry joins the read ahead of it), or a new one. */
  #sharedRead(keyHash: string): Promise<Principal | undefined> {
    let read = this.#reads.get(keyHash);
    if (!read) {
      const started = this.#read(keyHash).finally(() => {
        if (this.#reads.get(keyHash) === started) this.#reads.delete(keyHash);
      });
      this.#reads.set(keyHash, started);
      read = started;
    }
    return read;
  }

  /**
   * Reads the key and caches it, unless something was evicted meanwhile: the read may predate a
   * revocation, so it answers the calls that were already waiting for it and is not kept.
   */
  async #read(keyHash: string): Promise<Principal | undefined> {
    const evictions = this.#evictions;
    const row = await this.#readSlots.run(() => findActiveApiKeyByHash(this.#db, keyHash));
    const principal = row && this.#toPrincipal(row);
    if (evictions !== this.#evictions) return principal;
    if (principal) this.#cache.set(keyHash, { principal, expiresAt: Date.now() + this.#ttlMs });
    else this.#cache.delete(keyHash);
    return principal;
  }

  /**
   * The key by id, undefined once revoked: for background runs, with the guarantees of
   * `authenticate` (cached, evicted at once by a revocation heard on any replica, and by every
   * gap in the channel; the TTL bounds staleness while the channel is down). Without the
   * revocation channel, read every time.
   */
  async principalOfKey(keyId: string): Promise<Principal | undefined> {
    const cached = this.#byId.get(keyId);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    let evictions: number;
    let row: ActiveApiKey | undefined;
    let attempts = 0;
    do {
      // A revocation heard while this read ran may have come after it read the row: read again.
      evictions = this.#evictions;
      row = await findActiveApiKeyById(this.#db, keyId);
    } while (evictions !== this.#evictions && ++attempts < 3);
    const principal = row && this.#toPrincipal(row);
    if (!principal || !row || !this.#listener || evictions !== this.#evictions) {
      this.#byId.delete(keyId);
      return principal;
    }
    if (this.#byId.size >= 10_000) this.#byId.delete(this.#byId.keys().next().value!);
    this.#byId.set(keyId, { principal, keyHash: row.key_hash, expiresAt: Date.now() + this.#ttlMs });
    return principal;
  }

  #toPrincipal(row: ActiveApiKey): Principal {
    return {
      projectId: row.project_id,
      keyId: row.id,
      scopes: new Set(row.scopes.filter(isScope)),
      limits: {
        requestsPerMinute: row.requests_per_minute ?? row.project_requests_per_minute ?? this.#defaultLimits.requestsPerMinute,
        tokensPerMinute: row.tokens_per_minute ?? row.project_tokens_per_minute ?? this.#defaultLimits.tokensPerMinute,
      },
    };
  }

  /** Forgets the key at once: later calls read it again, without joining a read already running. */
  evict(keyHash: string): void {
    this.#evictions++;
    this.#cache.delete(keyHash);
    this.#reads.delete(keyHash);
    for (const [keyId, cached] of this.#byId) if (cached.keyHash === keyHash) this.#byId.delete(keyId);
  }

  /** Forgets every key, as when revocations may have been missed. */
  #evictAll(): void {
    this.#evictions++;
    this.#cache.clear();
    this.#reads.clear();
    this.#byId.clear();
  }

  /** Listens for revocations made by any process sharing the database. */
  async listenForRevocations(reachability: DatabaseReachability): Promise<void> {
    if (this.#closed) return;
    this.#reachability = reachability;
    // Revocations sent while the connection was down were missed: forget every cached key.
    this.#listener = await listen(reachability, apiKeyRevokedChannel, this.#logger, (keyHash) => this.evict(keyHash), () => this.#evictAll());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener?.close();
  }
}

/** At most `running` reads at once, at most `waiting` more in line, the rest refused (503). */
class ReadSlots {
  #free: number;
  readonly #line: (() => void)[] = [];
  readonly #maxWaiting: number;

  constructor(running: number, waiting: number) {
    this.#free = running;
    this.#maxWaiting = waiting;
  }

  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else if (this.#line.length >= this.#maxWaiting) {
      throw new AccountError('service_unavailable', 'Too many API keys not seen before are being checked at once; retry shortly', { headers: { 'Retry-After': '1' } });
    } else await new Promise<void>((resolve) => this.#line.push(resolve));
    try {
      return await read();
    } finally {
      // A freed slot passes straight to the next in line.
      const next = this.#line.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

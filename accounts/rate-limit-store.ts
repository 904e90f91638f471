import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimits } from './rate-limits.ts';
import { postgresLeaseStore } from './rate-limit-store-postgres.ts';
import { redisLeaseStore } from './rate-limit-store-redis.ts';
import { OutageLog } from '../schema/db/outage-log.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../schema/db/types.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';
import type { LimitsConfig } from './settings.ts';

/**
 * Redis when REDIS_URL is set, else the service's own Postgres; none when limits are off. Redis
 * reconnects by itself (retried forever, half a second apart at most); while it is away, calls
 * that need a count answer 503 at once (commands are not queued for a connection that is down,
 * and one that gets no reply within a second fails), and the log says so once.
 */
export async function createRateLimits(
  settings: LimitsConfig,
  database: { hotPathDb: Kysely<Database>; reachability: DatabaseReachability },
  logger: Logger,
  stops: (() => Promise<void>)[],
): Promise<RateLimits | undefined> {
  if (!settings.enforce) return undefined;
  if (!settings.redisUrl) {
    const store = await postgresLeaseStore({ db: database.hotPathDb, reachability: database.reachability, logger });
    const limits = new RateLimits(store);
    stops.push(() => limits.close());
    return limits;
  }
  const redis = new Redis(settings.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: 1000,
    // Reconnects at most half a second apart: back within that of Redis.
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  });
  const outage = new OutageLog(logger, 'redis');
  // Unheard, ioredis prints every failed reconnect to stderr.
  const failed = (error: unknown) => outage.failed(error, 'rate limits');
  redis.on('error', failed);
  redis.on('ready', () => outage.restored());
  // Without an offline queue the first calls need the connection up: wait for it a while at boot.
  await Promise.race([new Promise((resolve) => redis.once('ready', resolve)), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  const limits = new RateLimits(await redisLeaseStore(redis, logger, failed));
  stops.push(async () => {
    await limits.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return limits;
}

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimits } from '../router/rate-limits.ts';
import { postgresLeaseStore } from '../router/rate-limit-store-postgres.ts';
import { redisLeaseStore } from '../router/rate-limit-store-redis.ts';
import { OutageLog } from '../schema/db/outage-log.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './database.ts';

/**
 * Redis when REDIS_URL is set, else the service's own Postgres; none when limits are off. Redis
 * reconnects by itself (ioredis retries forever, 2 s apart at most); while it is away, calls
 * that need a count answer 503 and the log says so once.
 */
export async function createRateLimits(config: Config, database: DatabaseHandle, logger: Logger, stops: (() => Promise<void>)[]): Promise<RateLimits | undefined> {
  if (!config.limits.enforce) return undefined;
  if (!config.limits.redisUrl) {
    const store = await postgresLeaseStore({ db: database.hotPathDb, reachability: database.reachability, logger });
    const limits = new RateLimits(store);
    stops.push(() => limits.close());
    return limits;
  }
  const redis = new Redis(config.limits.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  const outage = new OutageLog(logger, 'redis');
  // Unheard, ioredis prints every failed reconnect to stderr.
  redis.on('error', (error: unknown) => outage.failed(error, 'rate limits'));
  redis.on('ready', () => outage.restored());
  const limits = new RateLimits(await redisLeaseStore(redis, logger));
  stops.push(async () => {
    await limits.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return limits;
}

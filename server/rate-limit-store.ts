import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimits } from '../router/rate-limits.ts';
import { OutageLog } from '../schema/db/outage-log.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './database.ts';

/**
 * Redis when REDIS_URL is set, else the service's own Postgres; none when limits are off. Redis
 * reconnects by itself (ioredis retries forever, 2 s apart at most); while it is away, calls
 * that need a count answer 503 and the log says so once.
 */
export function createRateLimits(config: Config, database: DatabaseHandle, logger: Logger, stops: (() => Promise<void>)[]): RateLimits | undefined {
  if (!config.limits.enforce) return undefined;
  const redis = config.limits.redisUrl
    ? new Redis(config.limits.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false })
    : undefined;
  if (redis) {
    const outage = new OutageLog(logger, 'redis');
    // Unheard, ioredis prints every failed reconnect to stderr.
    redis.on('error', (error: unknown) => outage.failed(error, 'rate limits'));
    redis.on('ready', () => outage.restored());
  }
  const limits = new RateLimits(redis ? { redis } : { pool: database.hotPathPool });
  stops.push(async () => {
    limits.close();
    await redis?.quit().catch(() => redis.disconnect());
  });
  return limits;
}

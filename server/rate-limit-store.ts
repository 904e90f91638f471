import { Redis } from 'ioredis';
import { RateLimits } from '../router/rate-limits.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './database.ts';

/** Redis when REDIS_URL is set, else the service's own Postgres; none when limits are off. */
export function createRateLimits(config: Config, database: DatabaseHandle, stops: (() => Promise<void>)[]): RateLimits | undefined {
  if (!config.limits.enforce) return undefined;
  const redis = config.limits.redisUrl
    ? new Redis(config.limits.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false })
    : undefined;
  const limits = new RateLimits(redis ? { redis } : { pool: database.hotPathPool });
  stops.push(async () => {
    limits.close();
    await redis?.quit().catch(() => redis.disconnect());
  });
  return limits;
}

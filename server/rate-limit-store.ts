import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimits } from '../router/rate-limits.ts';
import { postgresLeaseStore } from '../router/rate-limit-store-postgres.ts';
import { redisLeaseStore } from '../router/rate-limit-store-redis.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './database.ts';

/** Redis when REDIS_URL is set, else the service's own Postgres; none when limits are off. */
export async function createRateLimits(config: Config, database: DatabaseHandle, logger: Logger, stops: (() => Promise<void>)[]): Promise<RateLimits | undefined> {
  if (!config.limits.enforce) return undefined;
  if (!config.limits.redisUrl) {
    const store = await postgresLeaseStore({ db: database.hotPathDb, connectionString: database.connectionString, logger });
    const limits = new RateLimits(store);
    stops.push(() => limits.close());
    return limits;
  }
  const redis = new Redis(config.limits.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', (error: unknown) => logger.warn({ err: error }, 'rate-limit Redis connection failed; reconnecting'));
  const limits = new RateLimits(await redisLeaseStore(redis, logger));
  stops.push(async () => {
    await limits.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  return limits;
}

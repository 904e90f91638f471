import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The models folder a fresh clone has: the bundled stories260K.gguf. */
export const bundledModelsDir = path.join(repoRoot, 'models');
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** The tests' Redis (test/global-setup.ts finds or starts one); unset when there is none: the Redis store's tests are skipped. */
export const testRedisUrl = process.env.TEST_REDIS_URL || undefined;
/** Why the Redis store's tests are skipped, for their titles. */
export const noRedis = testRedisUrl ? '' : ' (skipped: no Redis at 127.0.0.1:6379 and no redis-server installed)';

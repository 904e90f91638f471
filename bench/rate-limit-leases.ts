import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { LoadResult } from './catalog.ts';
import { RateLimits } from '../accounts/rate-limits.ts';
import { redisLeaseStore } from '../accounts/rate-limit-store-redis.ts';

/**
 * The requests budget's cost per call when the process's lease covers it (a busy key far from
 * its limit): `tryConsume` in a loop of `calls` per round, no store round trip in the timed part.
 * Also runs alone: `node bench/rate-limit-leases.ts [calls per round]`.
 */
export async function benchRateLimitLeases(calls = 1_000_000, rounds = 15): Promise<LoadResult[]> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const limits = new RateLimits(await redisLeaseStore(redis, pino({ level: 'silent' })));
  try {
    // A lease (a fiftieth of the limit) that stays above half through every round: no call goes
    // to the store, and none starts a take ahead.
    const limit = 50 * calls * (rounds + 2) * 3;
    const keyId = `bench-${process.pid}-${Date.now()}`;
    await limits.consume('requests', keyId, limit, 1);
    const nanoseconds: number[] = [];
    // Two rounds first warm the JIT up.
    for (let round = 0; round < rounds + 2; round++) {
      const started = process.hrtime.bigint();
      let served = 0;
      for (let call = 0; call < calls; call++) if (limits.tryConsume('requests', keyId, limit, 1)) served++;
      const elapsed = Number(process.hrtime.bigint() - started);
      if (served !== calls) throw new Error(`only ${served} of ${calls} calls were covered by the lease`);
      if (round >= 2) nanoseconds.push(elapsed / calls);
    }
    // The machine's other work only ever adds time: the fastest rounds say most about the code.
    nanoseconds.sort((a, b) => a - b);
    const at = (fraction: number) => nanoseconds[Math.floor(fraction * (nanoseconds.length - 1))]!.toFixed(1);
    process.stdout.write(`tryConsume, ${calls} calls a round, ${rounds} rounds: ns per call min ${at(0)}, quartile ${at(0.25)}, median ${at(0.5)}\n`);
    return [];
  } finally {
    await limits.close();
    await redis.quit();
  }
}

if (import.meta.main) await benchRateLimitLeases(Number(process.argv[2] ?? 1_000_000));

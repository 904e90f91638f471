import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimitLeaseStore, RateLimitTake } from './rate-limit-lease-store.ts';

const channel = 'ai-rate-limits';

/**
 * The same window as Postgres's `rate_limit_take` (migration 0010), in a hash per key: `points`,
 * `expire` (Redis's clock), `refused`, and `h:<holder>` for each holder's surplus. Scripts run
 * atomically, so a take never overshoots and gives back (which refused calls inside the budget).
 */
const takeScript = `
local key = KEYS[1]
local limit, need, demand, want, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local field = 'h:' .. ARGV[5]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expire = tonumber(redis.call('HGET', key, 'expire'))
if not expire or expire <= now then
  redis.call('DEL', key)
  expire = now + windowMs
  redis.call('HSET', key, 'points', 0, 'expire', expire, 'refused', 0)
  redis.call('PEXPIREAT', key, expire)
end
redis.call('HSETNX', key, field, 0)
local points = tonumber(redis.call('HGET', key, 'points'))
local available = math.max(0, limit - points)
if available < need then
  redis.call('HSET', key, 'refused', 1)
  local holding = {}
  local entries = redis.call('HGETALL', key)
  for index = 1, #entries, 2 do
    local name = entries[index]
    if string.sub(name, 1, 2) == 'h:' and name ~= field and tonumber(entries[index + 1]) > 0 then
      holding[#holding + 1] = string.sub(name, 3)
    end
  end
  return {0, 0, points, expire, expire - now, holding}
end
local spent = math.min(demand, available)
local granted = spent
if redis.call('HGET', key, 'refused') == '0' then
  local holders = redis.call('HLEN', key) - 3
  granted = math.min(available, math.max(spent, math.min(want, math.floor(available / (2 * holders)))))
end
local surplus = granted - spent
redis.call('HINCRBY', key, 'points', granted)
if surplus > 0 then redis.call('HINCRBY', key, field, surplus) end
return {granted, surplus, points + granted, expire, expire - now, {}}
`;

const giveBackScript = `
local key = KEYS[1]
if tonumber(redis.call('HGET', key, 'expire')) == tonumber(ARGV[1]) then
  local points = tonumber(ARGV[3])
  if points > 0 then
    redis.call('HSET', key, 'points', math.max(0, tonumber(redis.call('HGET', key, 'points')) - points))
  end
  local field = 'h:' .. ARGV[2]
  local held = tonumber(redis.call('HGET', key, field))
  if held then
    local settled = tonumber(ARGV[4])
    redis.call('HSET', key, field, settled < 0 and 0 or math.max(0, held - settled))
  end
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

const forgetScript = `
if tonumber(redis.call('HGET', KEYS[1], 'expire')) == tonumber(ARGV[1]) then
  for index = 2, #ARGV do redis.call('HSET', KEYS[1], 'h:' .. ARGV[index], 0) end
end
return 1
`;

type Scripted = Redis & {
  aiRateLimitTake(key: string, ...args: (string | number)[]): Promise<[number, number, number, number, number, string[]]>;
  aiRateLimitGiveBack(key: string, ...args: (string | number)[]): Promise<number>;
  aiRateLimitForget(key: string, ...args: (string | number)[]): Promise<number>;
};

/** How long a start waits for the subscription before going on without it (Redis may be down). */
const subscribeWaitMs = 5000;

/**
 * Rate-limit windows in Redis, messages by pub/sub on a connection of this store's own. Resolves
 * once it is subscribed, so no message sent after is missed, or after `subscribeWaitMs` while
 * Redis cannot be reached: until it subscribes, reclaims addressed here go unanswered (the asker
 * forgets this process for the window; nothing is served twice).
 */
export async function redisLeaseStore(
  redis: Redis,
  logger: Logger,
  /** Where the subscription's connection failures go (an outage is said once, by whoever watches Redis). */
  onConnectionError: (error: unknown) => void = (error) => logger.warn({ err: error }, 'rate-limit subscription connection failed; reconnecting'),
): Promise<RateLimitLeaseStore> {
  redis.defineCommand('aiRateLimitTake', { numberOfKeys: 1, lua: takeScript });
  redis.defineCommand('aiRateLimitGiveBack', { numberOfKeys: 1, lua: giveBackScript });
  redis.defineCommand('aiRateLimitForget', { numberOfKeys: 1, lua: forgetScript });
  const scripted = redis as Scripted;
  let onMessage: (message: string) => void = () => {};
  let onGap: () => void = () => {};
  const subscriber = redis.duplicate();
  subscriber.on('error', onConnectionError);
  subscriber.on('message', (_channel: string, message: string) => onMessage(message));
  let subscribed = false;
  const subscribe = () =>
    subscriber.subscribe(channel).then(
      () => (subscribed = true),
      (error: unknown) => onConnectionError(error),
    );
  const first = subscribe();
  subscriber.on('ready', () => {
    // ioredis subscribes again by itself after a reconnect, once a subscription has succeeded.
    if (!subscribed) void subscribe();
    // Messages sent while the connection was down were missed.
    onGap();
  });
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise((resolve) => (waited = setTimeout(resolve, subscribeWaitMs)))]);
  clearTimeout(waited);
  return {
    async take(holder, take): Promise<RateLimitTake> {
      const [granted, surplus, consumed, windowEnd, msLeft, holding] = await scripted.aiRateLimitTake(
        take.key,
        take.limit,
        take.need,
        take.demand,
        take.want,
        holder,
        take.windowMs,
      );
      return { granted, surplus, consumed, windowEnd, msLeft, holding };
    },
    async giveBack({ key, windowEnd, holder, points, settled, message }) {
      await scripted.aiRateLimitGiveBack(key, windowEnd, holder, points, settled, channel, message);
    },
    async forget({ key, windowEnd, holders }) {
      await scripted.aiRateLimitForget(key, windowEnd, ...holders);
    },
    async send(message) {
      await redis.publish(channel, message);
    },
    listen(handleMessage, handleGap) {
      onMessage = handleMessage;
      onGap = handleGap;
    },
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';
import { listen } from '../schema/db/listen.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';
import {
  forgetRateLimitHolders,
  notifyRateLimits,
  rateLimitChannel,
  returnRateLimitPoints,
  takeRateLimitPoints,
} from '../schema/db/queries/rate-limit-counters.ts';
import type { RateLimitLeaseStore } from './rate-limit-lease-store.ts';

/**
 * Rate-limit windows in Postgres (`rate_limit_counters`, unlogged), messages by NOTIFY on a LISTEN
 * connection of this store's own. Resolves once it listens, so no message sent after is missed.
 */
export async function postgresLeaseStore(options: { db: Kysely<Database>; reachability: DatabaseReachability; logger: Logger }): Promise<RateLimitLeaseStore> {
  const { db } = options;
  let onMessage: (message: string) => void = () => {};
  let onGap: () => void = () => {};
  const listener = await listen(
    options.reachability,
    rateLimitChannel,
    options.logger,
    (message) => onMessage(message),
    () => onGap(),
  );
  return {
    take: (holder, take) => takeRateLimitPoints(db, { ...take, holder }),
    giveBack: (giveBack) => returnRateLimitPoints(db, giveBack),
    forget: (forget) => forgetRateLimitHolders(db, forget),
    send: (message) => notifyRateLimits(db, message),
    listen(handleMessage, handleGap) {
      onMessage = handleMessage;
      onGap = handleGap;
    },
    close: () => listener.close(),
  };
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../types.ts';

/** Every process LISTENs here for reclaims of rate-limit points and for points given back. */
export const rateLimitChannel = 'ai_rate_limits';

export interface RateLimitTake {
  granted: number;
  /** Of `granted`, what goes beyond the calls waiting for it: the holder's entry grew by this. */
  surplus: number;
  /** The window's count after the take. */
  consumed: number;
  /** The store's clock at the window's end: the window's identity. */
  windowEnd: number;
  msLeft: number;
  /** When refused: the other holders whose surplus may be unspent. */
  holding: string[];
}

/** See `rate_limit_take` (migration 0010): one round trip, the counter row locked. */
export async function takeRateLimitPoints(
  db: Kysely<Database>,
  take: { key: string; limit: number; need: number; demand: number; want: number; holder: string; windowMs: number },
): Promise<RateLimitTake> {
  const { rows } = await sql<{ granted: number; surplus: number; consumed: number; window_end: string; ms_left: string; holding: string[] }>`
    select * from rate_limit_take(${take.key}, ${take.limit}, ${take.need}, ${take.demand}, ${take.want}, ${take.holder}, ${take.windowMs})
  `.execute(db);
  const row = rows[0]!;
  return { granted: row.granted, surplus: row.surplus, consumed: row.consumed, windowEnd: Number(row.window_end), msLeft: Number(row.ms_left), holding: row.holding };
}

/**
 * Gives `points` back to the window ending at `windowEnd` (nothing once another window has
 * begun), lowers the holder's surplus entry by `settled` (to 0 when negative), then tells every
 * process (`message`, on commit, so whoever hears it sees the points).
 */
export async function returnRateLimitPoints(
  db: Kysely<Database>,
  giveBack: { key: string; windowEnd: number; holder: string; points: number; settled: number; message: string },
): Promise<void> {
  const { key, windowEnd, holder, points, settled, message } = giveBack;
  await sql`
    with returned as (
      update rate_limit_counters set
        points = greatest(0, points - ${points}::integer),
        holders = case when holders ? ${holder}::text
          then jsonb_set(holders, array[${holder}::text], to_jsonb(case when ${settled}::integer < 0 then 0 else greatest(0, (holders ->> ${holder}::text)::integer - ${settled}::integer) end))
          else holders end
      where key = ${key} and expire = ${windowEnd}::bigint
    )
    select pg_notify(${rateLimitChannel}, ${message})
  `.execute(db);
}

/** Sets the surplus entries of holders that did not answer a reclaim to 0: nobody waits on them again this window. */
export async function forgetRateLimitHolders(db: Kysely<Database>, forget: { key: string; windowEnd: number; holders: string[] }): Promise<void> {
  await sql`
    update rate_limit_counters
    set holders = holders || (select jsonb_object_agg(holder, 0) from unnest(${forget.holders}::text[]) holder)
    where key = ${forget.key} and expire = ${forget.windowEnd}::bigint
  `.execute(db);
}

export async function notifyRateLimits(db: Kysely<Database>, message: string): Promise<void> {
  await sql`select pg_notify(${rateLimitChannel}, ${message})`.execute(db);
}

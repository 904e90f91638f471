import type { RateLimitTake } from '../schema/db/queries/rate-limit-counters.ts';

export type { RateLimitTake };

/**
 * Where every process's rate-limit windows are counted (Postgres or Redis; both keep the same
 * state and answer alike), and the channel on which processes ask each other for unspent points.
 * A window is the store's: its clock starts it at the first take and ends it `windowMs` later.
 */
export interface RateLimitLeaseStore {
  /**
   * Takes points for `holder` from the key's window, atomically: `need` or nothing (refused);
   * `demand` for calls that spend them at once; up to `want` in all, no more than a share of what
   * is left (`available / (2 · holders)`), and, once a take was refused in the window, only what
   * the waiting calls spend (`demand`). Whatever goes beyond `demand` is the holder's surplus.
   */
  take(holder: string, take: { key: string; limit: number; need: number; demand: number; want: number; windowMs: number }): Promise<RateLimitTake>;
  /**
   * Gives `points` back to the window ending at `windowEnd` (nothing once another began), lowers
   * the holder's surplus entry by `settled` (all of it when negative), then sends `message` to
   * every process: whoever hears it finds the points in the store.
   */
  giveBack(giveBack: { key: string; windowEnd: number; holder: string; points: number; settled: number; message: string }): Promise<void>;
  /** Sets the surplus entries of `holders` to 0 (they did not answer a reclaim). */
  forget(forget: { key: string; windowEnd: number; holders: string[] }): Promise<void>;
  /** Sends `message` to every process listening, this one included. */
  send(message: string): Promise<void>;
  /**
   * Where messages go (one listener per store). `onGap` runs when messages may have been missed
   * (the listening connection was lost).
   */
  listen(onMessage: (message: string) => void, onGap: () => void): void;
  /** Stops listening; the store's clients belong to whoever made them. */
  close(): Promise<void>;
}

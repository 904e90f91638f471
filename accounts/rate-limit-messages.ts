import type { RateLimitLeaseStore } from './rate-limit-lease-store.ts';

/** Asks `holders` to give back what they have left of the window ending at `window`. */
export interface ReclaimMessage {
  reclaim: string;
  key: string;
  window: number;
  holders: string[];
}

/** Points came back to `key`'s window (an answer to `round` when it has one). */
export interface ReturnedMessage {
  returned: string;
  window: number;
  holder: string;
  round?: string;
}

export function parseMessage(text: string): ReclaimMessage | ReturnedMessage | undefined {
  try {
    const message: unknown = JSON.parse(text);
    if (typeof message !== 'object' || message === null) return undefined;
    if ('reclaim' in message && 'holders' in message && Array.isArray(message.holders)) return message as ReclaimMessage;
    if ('returned' in message && 'holder' in message) return message as ReturnedMessage;
  } catch {
    // Not ours: every process on the channel runs this code, but an operator may NOTIFY too.
  }
  return undefined;
}

export const returnedMessage = (returned: ReturnedMessage) => JSON.stringify(returned);

/**
 * Reclaim rounds this process started: a round asks the holders a refused take named for their
 * unspent points and ends when each has answered (by giving back, which the store announces), or
 * after `timeoutMs`, when those that did not answer are forgotten for the window (dead, or too
 * slow: their points stay counted, so nothing is ever served twice, and nobody waits on them again).
 */
export class ReclaimRounds {
  readonly #store: RateLimitLeaseStore;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #open = new Map<string, (holder: string) => void>();
  #count = 0;

  constructor(store: RateLimitLeaseStore, holder: string, timeoutMs: number) {
    this.#store = store;
    this.#prefix = `${holder}:`;
    this.#timeoutMs = timeoutMs;
  }

  run(key: string, window: number, holders: string[]): Promise<void> {
    const round = this.#prefix + ++this.#count;
    const unanswered = new Set(holders);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#open.delete(round);
        if (unanswered.size === 0) return resolve();
        this.#store.forget({ key, windowEnd: window, holders: [...unanswered] }).then(resolve, resolve);
      };
      const timer = setTimeout(finish, this.#timeoutMs);
      this.#open.set(round, (holder) => {
        if (unanswered.delete(holder) && unanswered.size === 0) finish();
      });
      const message: ReclaimMessage = { reclaim: round, key, window, holders };
      this.#store.send(JSON.stringify(message)).catch(() => {
        // Nobody was asked: forget nobody.
        unanswered.clear();
        finish();
      });
    });
  }

  /** An answer heard on the channel. */
  answered(round: string, holder: string): void {
    this.#open.get(round)?.(holder);
  }
}

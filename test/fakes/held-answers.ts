import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RecordedRequest } from './fake-upstream-server.ts';

interface HeldAnswer {
  arrived: PromiseWithResolvers<void>;
  released: PromiseWithResolvers<void>;
  /** performance.now() when the whole answer had been written to the socket. */
  answeredAt: number | undefined;
  aborted: boolean;
}

/**
 * Requests held by a fake upstream, one per text, until the test releases each: lets a test
 * choose the moment an upstream call completes (e.g. to race it against a cancel).
 */
export class HeldAnswers {
  readonly #answers = new Map<string, HeldAnswer>();
  #releasingAll = false;

  #answer(text: string): HeldAnswer {
    let answer = this.#answers.get(text);
    if (!answer) {
      answer = { arrived: Promise.withResolvers(), released: Promise.withResolvers(), answeredAt: undefined, aborted: false };
      if (this.#releasingAll) answer.released.resolve();
      this.#answers.set(text, answer);
    }
    return answer;
  }

  /** Called by the fake's handler: waits for the release (or for the client to leave). */
  async hold(text: string, request: RecordedRequest, res: ServerResponse): Promise<void> {
    const answer = this.#answer(text);
    res.once('finish', () => (answer.answeredAt = performance.now()));
    void request.aborted.then(() => (answer.aborted = true));
    answer.arrived.resolve();
    await Promise.race([answer.released.promise, request.aborted]);
  }

  /** Resolves when the request with this text reached the fake. */
  arrival(text: string): Promise<void> {
    return this.#answer(text).arrived.promise;
  }

  release(text: string): void {
    this.#answer(text).released.resolve();
  }

  /** Lets every request held now or arriving later through. */
  releaseAll(): void {
    this.#releasingAll = true;
    for (const answer of this.#answers.values()) answer.released.resolve();
  }

  /** When the answer for this text was fully written, if it was. */
  answeredAt(text: string): number | undefined {
    return this.#answers.get(text)?.answeredAt;
  }

  /** Whether the client gave up on the request for this text (its run was aborted). */
  wasAborted(text: string): boolean {
    return this.#answers.get(text)?.aborted ?? false;
  }
}

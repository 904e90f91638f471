import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { HeavyRequest } from '../helpers/heavy-requests.ts';
import type { HeavyFate } from './heavy-sender.ts';
/** The niceness of the heavy clients' process: below the server and the load generator that measures it. */
const senderNiceness = 10;

/**
 * `sendHeavy` (heavy-sender.ts) from a process of its own at a lower CPU priority (heavy-sender-process.ts): the
 * clients of a flood stand in for other machines, so their CPU, which on this machine is the
 * server's, must not be what a victim's latency measures.
 */
export class HeavySenders {
  readonly #child: ChildProcess;
  readonly #registered = new Map<HeavyRequest, number>();
  readonly #pending = new Map<number, (fate: HeavyFate) => void>();
  #calls = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: { call?: number; fate?: HeavyFate }) => {
      if (message.call === undefined) return;
      this.#pending.get(message.call)?.(message.fate!);
      this.#pending.delete(message.call);
    });
  }

  static async start(): Promise<HeavySenders> {
    const child = fork(new URL('./heavy-sender-process.ts', import.meta.url), { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the heavy senders' process exited with ${code}`)));
    });
    os.setPriority(child.pid!, senderNiceness);
    return new HeavySenders(child);
  }

  send(baseUrl: string, key: string, request: HeavyRequest, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HeavyFate> {
    let requestId = this.#registered.get(request);
    if (requestId === undefined) {
      requestId = this.#registered.size;
      this.#registered.set(request, requestId);
      this.#child.send({ type: 'register', requestId, request });
    }
    const call = this.#calls++;
    const abort = () => this.#child.send({ type: 'abort', call });
    if (options.signal?.aborted) queueMicrotask(abort);
    else options.signal?.addEventListener('abort', abort, { once: true });
    return new Promise((resolve) => {
      this.#pending.set(call, (fate) => {
        options.signal?.removeEventListener('abort', abort);
        resolve(fate);
      });
      this.#child.send({ type: 'send', call, requestId, baseUrl, key, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    });
  }

  get child(): ChildProcess {
    return this.#child;
  }
}

import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import type { HeavyRequest } from '../helpers/heavy-requests.ts';

/** What became of one heavy request. */
export interface HeavyFate {
  label: string;
  /**
   * The status; `no answer in N s` past the timeout; `aborted` when the caller left; `cut during
   * upload (CODE)` when the server closed the connection before the body was sent (a refusal
   * the client could not read); `connection error (CODE)` after it was.
   */
  fate: string;
  /** For an answer other than 200: the setting its message names (`MAX_BODY_BYTES_IN_FLIGHT`), else its error code. */
  reason?: string;
  retryAfter?: string;
}

/** The setting an error message names in parentheses, else the error's code: which bound refused it. */
function reasonOf(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: { message?: string; code?: string } }).error;
    return /\(([A-Z][A-Z_]{5,})\b/.exec(error?.message ?? '')?.[1] ?? error?.code;
  } catch {
    return undefined;
  }
}

/**
 * POSTs a heavy JSON request with node:http, which reads an answer that comes before the body has
 * been sent (a refusal at admission) where fetch reports only the broken upload.
 */
export function sendHeavy(baseUrl: string, key: string, request: HeavyRequest, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HeavyFate> {
  const { label } = request;
  const body = Buffer.from(request.body);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (fate: HeavyFate) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(fate);
    };
    const outgoing = http.request(
      baseUrl + request.path,
      { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length }, signal: options.signal },
      (response) => {
        const chunks: Buffer[] = [];
        // A 200's body can be megabytes: only a refusal's is kept, to read its reason.
        response.on('data', (chunk: Buffer) => void (response.statusCode !== 200 && chunks.push(chunk)));
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          settle({
            label,
            fate: String(response.statusCode),
            ...(response.statusCode === 200 ? {} : { reason: reasonOf(Buffer.concat(chunks).toString()) }),
            ...(retryAfter ? { retryAfter } : {}),
          });
        });
        response.on('error', () => settle({ label, fate: String(response.statusCode) }));
      },
    );
    const timer = options.timeoutMs
      ? setTimeout(() => {
          settle({ label, fate: `no answer in ${options.timeoutMs! / 1000} s` });
          outgoing.destroy();
        }, options.timeoutMs)
      : undefined;
    let uploaded = false;
    outgoing.on('finish', () => (uploaded = true));
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      // An answer may still be on its way after a broken upload: give it a moment.
      setTimeout(() => settle({ label, fate: options.signal?.aborted ? 'aborted' : uploaded ? `connection error (${code})` : `cut during upload (${code})` }), 200);
    });
    outgoing.end(body);
  });
}

/** Whether the server closed the connection while the body was still being sent: a refusal, but one the client could not read. */
export const cutDuringUpload = (fate: HeavyFate) => fate.fate.startsWith('cut during upload');

/** A fate as a table cell: `503 MAX_BODY_BYTES_IN_FLIGHT`, `200`, `no answer in 30 s`. */
export const describeFate = (fate: HeavyFate) => (fate.reason ? `${fate.fate} ${fate.reason}` : fate.fate);

/** The niceness of the heavy clients' process: below the server and the load generator that measures it. */
const senderNiceness = 10;

/**
 * `sendHeavy` from a process of its own at a lower CPU priority (heavy-sender-process.ts): the
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

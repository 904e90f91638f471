import http from 'node:http';
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


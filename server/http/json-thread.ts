import { Piscina } from 'piscina';
import { ApiError, errorCodes, type ApiErrorCode } from '../../router/errors.ts';
import type { ParsedBody } from './json-thread-worker.ts';

/**
 * A thread for the JSON work that grows with a request's size: parsing a large body (9 MB takes
 * 30-55 ms of CPU) and writing a large answer (2,048 embeddings as JSON numbers take ~325 ms),
 * which on the event loop would hold every other request up for as long. The thread checks and
 * parses a body and hands back its shape with long strings as bytes, which become strings here at
 * the speed of a copy; an answer goes to it by structured clone (2 ms for those embeddings) and
 * comes back as bytes. It runs below the event loop's scheduling priority, like the compute pool.
 */
export class JsonThread {
  #pool: Piscina | undefined;

  #piscina(): Piscina {
    this.#pool ??= new Piscina({
      filename: new URL('./json-thread-worker.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      niceIncrement: 5,
    });
    return this.#pool;
  }

  /** A large JSON body as its value, checked as every body is (UTF-8, depth, NUL and lone surrogates). */
  async parse(bytes: Buffer): Promise<unknown> {
    // Moved, not copied: the body is the thread's now (a copy when its memory is shared with other buffers).
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.allocUnsafeSlow(bytes.length);
    if (owned !== bytes) bytes.copy(owned);
    const parsed = (await this.#piscina().run(Piscina.move(owned as Uint8Array), { name: 'parseBody' })) as ParsedBody;
    if (!parsed.ok) throw new ApiError(parsed.code in errorCodes ? (parsed.code as ApiErrorCode) : 'bad_request', parsed.message, { param: parsed.param });
    const text = Buffer.from(parsed.bytes.buffer, parsed.bytes.byteOffset, parsed.bytes.byteLength);
    let start = 0;
    let root = parsed.shape;
    parsed.paths.forEach((path, index) => {
      const end = parsed.ends[index]!;
      // ASCII as Latin-1: a plain copy, which Node keeps outside the JS heap from 1 MB up (an
      // external string), so megabytes of text do not bring on a full collection per request.
      const value = text.toString(parsed.ascii[index] ? 'latin1' : 'utf8', start, end);
      start = end;
      if (path.length === 0) root = value;
      else {
        let holder = root as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
        holder[path.at(-1)!] = value;
      }
    });
    return root;
  }

  /** An answer as JSON bytes, written on the thread. */
  async stringify(value: unknown): Promise<Buffer> {
    const bytes = (await this.#piscina().run(value, { name: 'stringifyAnswer' })) as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async close(): Promise<void> {
    await this.#pool?.destroy();
  }
}

/**
 * Whether writing `value` as JSON is work worth a thread: counts what stringifying it costs
 * (an element or field each, a long string by its length) and stops at `budget`, so a small
 * answer costs a short walk and a large one is found as soon as it passes the budget.
 */
export function isLargeAnswer(value: unknown, budget = 20_000): boolean {
  let spent = 0;
  const visit = (item: unknown): boolean => {
    if (++spent > budget) return true;
    if (typeof item === 'string') return (spent += item.length >> 6) > budget;
    if (Array.isArray(item)) {
      for (const element of item) if (visit(element)) return true;
      return false;
    }
    if (typeof item === 'object' && item !== null) {
      if (ArrayBuffer.isView(item)) return (spent += item.byteLength >> 3) > budget;
      for (const key in item) if (visit((item as Record<string, unknown>)[key])) return true;
    }
    return false;
  };
  return visit(value);
}

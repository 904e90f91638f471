import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { ApiError } from '../../router/errors.ts';
import { assertCleanJson } from './text-checks.ts';

/** Deeper JSON is refused before it is parsed: validators and mappers recurse, and nothing real nests this far. */
export const maxJsonDepth = 128;

export interface BodyLimits {
  /** The most bytes the route takes (after decompression). */
  maxBytes: number;
  /** How long the client may send nothing before the read is abandoned (408). */
  idleMs: number;
}

export const idleTimeout = (idleMs: number) => new ApiError('request_timeout', `body: nothing arrived for ${idleMs} ms; send the body without pauses`, { param: 'body' });

export const tooLarge = (limit: number) => new ApiError('payload_too_large', `body: larger than this route takes (${limit} bytes)`, { param: 'body' });

/** A body declared larger than the route takes is refused before a byte of it is read. */
export function assertDeclaredFits(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit && !isCompressed(req)) throw tooLarge(limit);
}

function encodingOf(req: IncomingMessage): string | undefined {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  return encoding === undefined || encoding === '' || encoding === 'identity' ? undefined : encoding;
}

const isCompressed = (req: IncomingMessage) => encodingOf(req) !== undefined;

/** The decompressor a `Content-Encoding` names: what it inflates is held to the route's limit too. */
function decoderFor(encoding: string): Readable & NodeJS.WritableStream {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new ApiError('unsupported_media_type', `content-encoding: "${encoding}" is not supported (send gzip, deflate, br or none)`, { param: 'content-encoding' });
  }
}

/** Bodies declared larger than this are copied into one buffer as they arrive. */
const inPlaceMinBytes = 64 * 1024;

/**
 * Reads a whole body, stopping at `maxBytes` (413) or when the client sends nothing for
 * `idleMs` (408); compressed bodies are inflated as they arrive. Whatever stops the read early
 * leaves the rest unread: the answer closes the connection.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const encoding = encodingOf(req);
  const declared = encoding === undefined && req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  return new Promise((resolve, reject) => {
    let source: Readable;
    try {
      source = encoding === undefined ? req : req.pipe(decoderFor(encoding));
    } catch (error) {
      reject(error);
      return;
    }
    const chunks: Buffer[] = [];
    // A large body of known size is copied into place as it arrives: one concatenation of
    // megabytes at its end would hold the event loop for that long (and leave its chunks to collect).
    const inPlace = declared !== undefined && declared > inPlaceMinBytes && declared <= limits.maxBytes ? Buffer.allocUnsafeSlow(declared) : undefined;
    let received = 0;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      source.off('data', onData).off('end', onEnd).off('error', onError);
      req.off('close', onClose).off('error', onError);
      if (source !== req) {
        req.unpipe();
        source.destroy();
      }
      if (error) {
        req.pause();
        reject(error);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      if (received + chunk.length > limits.maxBytes) return finish(tooLarge(limits.maxBytes));
      if (inPlace) {
        if (received + chunk.length > inPlace.length) return finish(new ApiError('bad_request', 'body: its size does not match Content-Length', { param: 'body' }));
        chunk.copy(inPlace, received);
      } else chunks.push(chunk);
      received += chunk.length;
      idle?.refresh();
    };
    const onEnd = () => {
      if (declared !== undefined && received !== declared) return finish(new ApiError('bad_request', 'body: its size does not match Content-Length', { param: 'body' }));
      finish(undefined, inPlace ?? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
    };
    const onError = (error: Error) => {
      const corrupt = source !== req && (error as NodeJS.ErrnoException).code?.startsWith('Z_');
      finish(corrupt ? new ApiError('bad_request', `body: not valid ${encoding} data`, { param: 'body' }) : new DOMException('The client disconnected', 'AbortError'));
    };
    const onClose = () => {
      if (!req.complete) finish(new DOMException('The client disconnected', 'AbortError'));
    };
    source.on('data', onData).on('end', onEnd).on('error', onError);
    if (source !== req) req.on('error', onError);
    req.on('close', onClose);
    idle = setTimeout(() => finish(idleTimeout(limits.idleMs)), limits.idleMs);
  });
}

const quote = 0x22;
const backslash = 0x5c;

/** The deepest `[`/`{` nesting of a JSON text, counted outside strings, stopping past `limit`. */
function nestingDepth(bytes: Buffer, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (inString) {
      if (byte === backslash) index++;
      else if (byte === quote) inString = false;
    } else if (byte === quote) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return deepest;
}

const invalidJson = (message: string, field: string) => new ApiError('invalid_json', `${field}: not valid JSON (${message})`, { param: field });

/**
 * JSON text (a body, or tRPC's `input` query parameter) checked before anything parses it:
 * nested at most maxJsonDepth deep, UTF-8 without NUL or lone-surrogate escapes. Returns the text.
 */
export function checkedJsonText(bytes: Buffer, field = 'body'): string {
  // Each level takes two bytes: a shorter text cannot nest too deep.
  if (bytes.length > 2 * maxJsonDepth && nestingDepth(bytes, maxJsonDepth) > maxJsonDepth) throw new ApiError('bad_request', `${field}: JSON nested deeper than ${maxJsonDepth} levels`, { param: field });
  assertCleanJson(bytes, () => parseJson(bytes.toString('utf8'), field), field);
  return bytes.toString('utf8');
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidJson((error as Error).message, field);
  }
}

/**
 * A JSON body as a value; an empty one is `{}` (a POST whose fields are all optional). A large
 * one is checked and parsed on the JSON thread (`thread`), off the event loop.
 */
export async function parseJsonBody(bytes: Buffer, thread: { parse(bytes: Buffer): Promise<unknown> }): Promise<unknown> {
  if (bytes.length === 0) return {};
  const first = /\S/.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 64)))?.[0];
  if (first !== '{' && first !== '[') throw invalidJson('a body must be a JSON object or array', 'body');
  if (bytes.length >= largeBodyBytes) return thread.parse(bytes);
  return parseJson(checkedJsonText(bytes), 'body');
}

/** Bodies at least this large are parsed on the JSON thread; below, on the event loop (a fraction of a millisecond). */
export const largeBodyBytes = 128 * 1024;

/** `application/json`, with no charset or UTF-8 (JSON is UTF-8; other charsets are refused by name). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=').map((part) => part.trim().toLowerCase());
    if (name === 'charset' && value !== 'utf-8' && value !== '"utf-8"' && value !== 'utf8') {
      throw new ApiError('unsupported_media_type', `content-type: charset "${value}" is not supported; JSON is UTF-8`, { param: 'content-type' });
    }
  }
  return true;
}

/**
 * The JSON thread's tasks: parsing a large request body and writing a large answer, the two
 * pieces of a request's work that grow with its size, kept off the event loop that answers
 * requests. Values cross back as plain data; long strings as UTF-8 bytes moved whole (a string
 * received from a thread is copied into the event loop's heap as slowly as JSON.parse makes it).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ApiError } from '../../router/errors.ts';
import { checkedJsonText } from './bodies.ts';

/** Strings at least this long travel as bytes. */
const longString = 512;

export type ParsedBody =
  | {
      ok: true;
      /** The value, each long string replaced by null. */
      shape: unknown;
      /** Where each long string was, in order: the path of keys and indexes to it. */
      paths: (string | number)[][];
      /** Where each long string ends in `bytes`. */
      ends: number[];
      /** Whether each long string is all ASCII (so its bytes are its characters). */
      ascii: boolean[];
      bytes: Uint8Array;
    }
  | { ok: false; code: string; message: string; param: string | undefined };

interface LongStrings {
  paths: (string | number)[][];
  parts: Buffer[];
  ends: number[];
  ascii: boolean[];
  length: number;
}

function withdrawLongStrings(value: unknown, path: (string | number)[], found: LongStrings): unknown {
  if (typeof value === 'string') {
    if (value.length < longString) return value;
    const bytes = Buffer.from(value, 'utf8');
    found.parts.push(bytes);
    found.length += bytes.length;
    found.ends.push(found.length);
    found.ascii.push(bytes.length === value.length);
    found.paths.push(path);
    return null;
  }
  if (Array.isArray(value)) return value.map((item, index) => withdrawLongStrings(item, [...path, index], found));
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) object[key] = withdrawLongStrings(object[key], [...path, key], found);
  }
  return value;
}

export function parseBody(bytes: Uint8Array): ParsedBody {
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const value: unknown = JSON.parse(checkedJsonText(buffer));
    const found: LongStrings = { paths: [], parts: [], ends: [], ascii: [], length: 0 };
    const shape = withdrawLongStrings(value, [], found);
    const joined = ownedBytes(found.length);
    let at = 0;
    for (const part of found.parts) at += part.copy(joined, at);
    const parsed: ParsedBody = { ok: true, shape, paths: found.paths, ends: found.ends, ascii: found.ascii, bytes: joined };
    return move({ [transferableSymbol]: [joined.buffer], [valueSymbol]: parsed }) as unknown as ParsedBody;
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, code: error.apiCode, message: error.message, param: error.param };
    return { ok: false, code: 'invalid_json', message: `body: not valid JSON (${(error as Error).message})`, param: 'body' };
  }
}

/** An answer written as JSON, its bytes moved back whole. */
export function stringifyAnswer(value: unknown): Uint8Array {
  const text = JSON.stringify(value);
  const bytes = ownedBytes(Buffer.byteLength(text));
  bytes.write(text, 'utf8');
  return move(bytes) as Uint8Array;
}

/** Bytes in a memory of their own (never Node's shared pool, which moving would take from every other buffer). */
const ownedBytes = (length: number) => Buffer.allocUnsafeSlow(length);

import { isUtf8 } from 'node:buffer';
import { ApiError } from '../../router/errors.ts';

/**
 * Text a request may not carry into the service: NUL (Postgres text and jsonb refuse it, and it
 * means nothing in an id or a prompt) and lone UTF-16 surrogates (no UTF-8 encoding exists for
 * them: they would be stored as U+FFFD, or refused by Postgres mid-call). Refused where they
 * enter, naming the field, so nothing behind the pipeline ever sees them.
 */
export function textFault(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate, which no UTF-8 text can hold';
  return undefined;
}

/** A 400 naming `field` when `text` carries what textFault refuses. */
export function assertCleanText(text: string, field: string): void {
  const fault = textFault(text);
  if (fault) throw new ApiError('bad_request', `${field}: ${fault}`, { param: field });
}

const backslash = 0x5c;

const hexValue = (bytes: Buffer, at: number) => {
  if (at + 4 > bytes.length) return -1;
  const value = Number.parseInt(bytes.toString('latin1', at, at + 4), 16);
  return Number.isNaN(value) ? -1 : value;
};

/** Whether the `\` at `at` starts an escape (an even run of backslashes before it: it is not itself escaped). */
function startsEscape(bytes: Buffer, at: number): boolean {
  let run = 0;
  for (let index = at - 1; index >= 0 && bytes[index] === backslash; index--) run++;
  return run % 2 === 0;
}

/**
 * Whether JSON text spells a NUL or a lone surrogate as a `\u` escape (raw ones cannot occur:
 * a raw control character is not JSON, and valid UTF-8 holds no surrogates). Found with the
 * native byte search; the text is only looked at around each `\u`.
 */
function escapesFault(bytes: Buffer): boolean {
  let pendingHigh = false;
  let at = bytes.indexOf('\\u');
  let previousEnd = -1;
  while (at !== -1) {
    if (startsEscape(bytes, at)) {
      const value = hexValue(bytes, at + 2);
      const adjacent = at === previousEnd;
      if (pendingHigh && !(adjacent && value >= 0xdc00 && value <= 0xdfff)) return true;
      if (value === 0) return true;
      if (value >= 0xdc00 && value <= 0xdfff && !pendingHigh) return true;
      pendingHigh = !pendingHigh && value >= 0xd800 && value <= 0xdbff;
      previousEnd = at + 6;
    }
    at = bytes.indexOf('\\u', at + 2);
  }
  return pendingHigh;
}

/** The dotted path of the first string (or key) in `value` that textFault refuses. */
function faultyField(value: unknown, path: string[]): { field: string; fault: string } | undefined {
  if (typeof value === 'string') {
    const fault = textFault(value);
    return fault ? { field: path.join('.') || 'body', fault } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const keyFault = textFault(key);
    if (keyFault) return { field: [...path, key].join('.'), fault: `its name ${keyFault}` };
    const found = faultyField(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Checks a JSON body's bytes before they are parsed: valid UTF-8, no NUL or lone surrogate
 * escapes. `parse` is called only when a fault was found, to name the field that holds it.
 */
export function assertCleanJson(bytes: Buffer, parse: () => unknown, field: string): void {
  if (!isUtf8(bytes)) throw new ApiError('bad_request', `${field}: not valid UTF-8 (JSON is UTF-8 text)`, { param: field });
  if (!escapesFault(bytes)) return;
  const found = faultyField(parse(), field === 'body' ? [] : [field]);
  if (!found) return;
  throw new ApiError('bad_request', `${found.field}: ${found.fault}`, { param: found.field });
}

import { ApiError } from '../../router/errors.ts';
import { assertCleanText } from './text-checks.ts';

/** A request's path (still percent-encoded: parameters are decoded one by one) and its decoded query. */
export interface RequestTarget {
  /** The raw path, `/`-separated, without the query. */
  path: string;
  /** Each query parameter's values in order, decoded. */
  query: Map<string, string[]>;
}

/**
 * One percent-encoded component as text, refused with a 400 naming `field` when its escapes are
 * malformed or do not spell UTF-8 (`%ZZ`, `%ED%A0%80`), or it decodes to what no field may hold.
 */
export function decodeComponent(raw: string, field: string): string {
  let text = raw;
  if (raw.includes('%')) {
    try {
      text = decodeURIComponent(raw);
    } catch {
      throw new ApiError('bad_request', `${field}: malformed percent-encoding (each % must start an escape of UTF-8 bytes)`, { param: field });
    }
  }
  assertCleanText(text, field);
  return text;
}

/** `a=1&b=x+y` as form encoding reads it: `+` is a space. */
function parseQuery(search: string): Map<string, string[]> {
  const query = new Map<string, string[]>();
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = (equals === -1 ? pair : pair.slice(0, equals)).replaceAll('+', ' ');
    const name = decodeComponent(rawName, 'query');
    const value = decodeComponent((equals === -1 ? '' : pair.slice(equals + 1)).replaceAll('+', ' '), name);
    const values = query.get(name);
    if (values) values.push(value);
    else query.set(name, [value]);
  }
  return query;
}

const noQuery = new Map<string, string[]>();

/** The request's target, its query decoded; a malformed one is the caller's 400. */
export function parseTarget(url: string): RequestTarget {
  const mark = url.indexOf('?');
  if (mark === -1) return { path: url, query: noQuery };
  return { path: url.slice(0, mark), query: parseQuery(url.slice(mark + 1)) };
}

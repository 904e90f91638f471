import pg from 'pg';

/** A statement whose text starts with `/* prepared: <name> *\/` is prepared once per connection. */
const preparedMarker = /^\s*\/\* prepared: ([\w-]+) \*\//;

/**
 * A pg client that prepares the statements marked as such (Kysely sends every statement
 * unnamed, so Postgres parses and plans it each time): for the ledger's write, which runs for
 * every group commit, planning was half its cost. The text of a marked statement must never
 * change, only its parameters.
 */
export class PreparingClient extends pg.Client {}

const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// pg's overloads cannot be restated one by one in a subclass: every other form is passed through.
PreparingClient.prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
  const [text, values, callback] = args;
  const name = typeof text === 'string' ? preparedMarker.exec(text)?.[1] : undefined;
  if (!name || !(values === undefined || Array.isArray(values))) return query.apply(this, args);
  const config = { name, text, values };
  return callback === undefined ? query.call(this, config) : query.call(this, config, callback);
} as typeof pg.Client.prototype.query;

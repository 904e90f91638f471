/**
 * Whether a failure means the database (or the Redis that may hold rate-limit counters beside it)
 * cannot be reached at the moment, rather than that a statement was wrong: the connection was
 * refused, reset or ended, the server is shutting down, starting up or out of connection slots, or
 * no connection came within the pool's timeout. Such a failure ends with the outage, so callers
 * answer 503 and retry; it is not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causesOf(error).some(saysUnavailable);
}

/** Thrown by our own code that needs a session it has lost (the balance-lease lock) until it is back. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** Socket failures (Node's errno codes) on the way to the server. */
const unreachableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs: class 08 (connection exception), 57P01 admin_shutdown (a fast or smart stop),
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, recovering, shutting down),
 * 53300 too_many_connections.
 */
const unavailableSqlState = /^(?:08[0-9A-Z]{3}|57P0[123]|53300)$/;

/**
 * What the drivers say without a code. pg: the server closed the session ("Connection terminated
 * unexpectedly", "… due to connection timeout"), a client left unusable by one; pg-pool: no
 * connection within `connectionTimeoutMillis`, or the pool closed (shutting down); pg-boss: its
 * LISTEN session died; ioredis: the connection is closed, retries per command ran out, no reply
 * came within its command timeout, or it is not ready.
 * Matched at the start: pg-boss appends the queue and worker to a message.
 */
const unavailableMessages = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Cannot use a pool after calling end on the pool',
  'LISTEN/NOTIFY connection ended',
  'LISTEN/NOTIFY heartbeat timed out',
  'Connection is closed.',
  'Reached the max retries per request limit',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
];

function saysUnavailable(error: object): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (unreachableErrnos.has(code) || unavailableSqlState.test(code))) return true;
  return typeof message === 'string' && unavailableMessages.some((start) => message.startsWith(start));
}

/**
 * The error and what it wraps: `cause` chains, and the attempts of an AggregateError (a host
 * name with several addresses). pg-boss re-emits errors as plain objects, so objects count too.
 */
function causesOf(error: unknown): object[] {
  const found: object[] = [];
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== 'object' || value === null || depth > 8 || found.includes(value)) return;
    found.push(value);
    visit((value as { cause?: unknown }).cause, depth + 1);
    const attempts = (value as { errors?: unknown }).errors;
    if (Array.isArray(attempts)) for (const attempt of attempts) visit(attempt, depth + 1);
  };
  visit(error, 0);
  return found;
}

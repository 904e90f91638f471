import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';
import { listen, type Listener } from '../schema/db/listen.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';

/** Every worker LISTENs here; the payload is the id of an operation to abort. */
const channel = 'ai_operation_cancel';

export async function notifyOperationCancel(db: Kysely<Database>, operationId: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${operationId})`.execute(db);
}

/**
 * Calls `onCancel` for every cancellation asked anywhere; reconnects if the connection drops,
 * calling `onGap` when cancels may have been missed.
 */
export function listenForOperationCancels(
  reachability: DatabaseReachability,
  logger: Logger,
  onCancel: (operationId: string) => void,
  onGap: () => void,
): Promise<Listener> {
  return listen(reachability, channel, logger, onCancel, onGap);
}

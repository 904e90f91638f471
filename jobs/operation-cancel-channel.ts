import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';

/** Every worker LISTENs here; the payload is the id of an operation to abort. */
const channel = 'ai_operation_cancel';

export async function notifyOperationCancel(db: Kysely<Database>, operationId: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${operationId})`.execute(db);
}

/** Calls `onCancel` for every cancellation asked anywhere; reconnects if the connection drops. */
export async function listenForOperationCancels(
  connectionString: string,
  logger: Logger,
  onCancel: (operationId: string) => void,
): Promise<{ close(): Promise<void> }> {
  let closed = false;
  let client: pg.Client | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString });
    next.on('notification', (message) => {
      if (message.payload) onCancel(message.payload);
    });
    next.on('error', (error) => {
      if (closed) return;
      logger.warn({ err: error }, 'operation cancel listener lost; reconnecting');
      setTimeout(() => void connect().catch(() => {}), 1000).unref();
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    client = next;
  };
  await connect();
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}

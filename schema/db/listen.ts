import pg from 'pg';
import type { Logger } from 'pino';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on a Postgres channel on a connection of its own (pooled connections cannot hold a
 * LISTEN) and calls `onPayload` for every NOTIFY. A lost connection is re-opened after a second;
 * `onGap` runs when it is lost and again once it is back: notifications in between were missed.
 */
export async function listen(
  connectionString: string,
  channel: string,
  logger: Logger,
  onPayload: (payload: string) => void,
  onGap?: () => void,
): Promise<Listener> {
  let closed = false;
  let client: pg.Client | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString });
    next.on('notification', (message) => {
      if (message.payload) onPayload(message.payload);
    });
    next.on('error', (error) => {
      if (closed) return;
      logger.warn({ err: error, channel }, 'LISTEN connection lost; reconnecting');
      client = undefined;
      onGap?.();
      setTimeout(() => {
        if (closed) return;
        connect().then(onGap, (reconnectError: unknown) => logger.warn({ err: reconnectError, channel }, 'LISTEN reconnect failed'));
      }, 1000).unref();
    });
    await next.connect();
    await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
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

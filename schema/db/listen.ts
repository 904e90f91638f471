import pg from 'pg';
import type { Logger } from 'pino';
import { keepSession } from './dedicated-session.ts';
import type { DatabaseReachability } from './reachability.ts';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on a Postgres channel on a connection of its own (pooled connections cannot hold a
 * LISTEN) and calls `onPayload` for every NOTIFY. A lost connection is reopened as soon as the
 * database answers, however long that takes; `onGap` runs when it is lost and again once it
 * listens again: notifications in between were missed.
 */
export async function listen(
  reachability: DatabaseReachability,
  channel: string,
  logger: Logger,
  onPayload: (payload: string) => void,
  onGap?: () => void,
): Promise<Listener> {
  return keepSession({
    reachability,
    logger,
    name: `LISTEN ${channel}`,
    async setUp(client) {
      client.on('notification', (message) => {
        if (message.payload) onPayload(message.payload);
      });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    },
    onLost: onGap,
    onReopened: onGap,
  });
}

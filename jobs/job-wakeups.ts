import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { notifyChannelSql } from 'pg-boss/dist/plans.js';
import type { Database } from '../schema/db/types.ts';
import { listen, type Listener } from '../schema/db/listen.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';
import { bossSchema } from './boss.ts';

/**
 * Wakes a process's job pumps when a job is queued anywhere: pg-boss NOTIFYs its channel with the
 * queue's name in the transaction that inserts into a queue created with `notify`. One
 * connection per process; when it was lost, every pump is woken (NOTIFYs in between were missed).
 */
export async function listenForQueuedJobs(
  db: Kysely<Database>,
  reachability: DatabaseReachability,
  logger: Logger,
  pumps: ReadonlyMap<string, { wake(): void }>,
): Promise<Listener> {
  // pg-boss's producer and its own listener name the channel with this same expression.
  const { rows } = await sql<{ channel: string }>`select ${sql.raw(notifyChannelSql(bossSchema))} as channel`.execute(db);
  const wakeAll = () => {
    for (const pump of pumps.values()) pump.wake();
  };
  return listen(reachability, rows[0]!.channel, logger, (queue) => pumps.get(queue)?.wake(), wakeAll);
}

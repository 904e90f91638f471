import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema/db/types.ts';
import { operationsQueue, webhookDeliveriesQueue } from './queues.ts';

/** Operation queue state, counted in Postgres at scrape time (one query a scrape, none a request). */
export interface QueueReading {
  queue: string;
  state: string;
  jobs: number;
  oldestAgeSeconds: number;
}

const queues = [operationsQueue, webhookDeliveriesQueue];
/** pg-boss's live job states: waiting to run (created, retry) and running (active). */
const liveStates = ['created', 'retry', 'active'];

/**
 * Depth and age of the pg-boss queues, shared by every replica, in one indexed query (pg-boss's
 * own index on name and live state). Every queue and state is reported, zero when empty.
 */
export async function readQueueState(db: Kysely<Database>): Promise<QueueReading[]> {
  const { rows } = await sql<{ queue: string; state: string; jobs: number; oldest: number }>`
    select name as queue, state::text as state, count(*)::int as jobs,
           extract(epoch from now() - min(created_on))::float8 as oldest
    from pgboss.job
    where name in (${sql.join(queues)}) and state::text in (${sql.join(liveStates)})
    group by name, state`.execute(db);
  return queues.flatMap((queue) =>
    liveStates.map((state) => {
      const row = rows.find((candidate) => candidate.queue === queue && candidate.state === state);
      return { queue, state, jobs: row?.jobs ?? 0, oldestAgeSeconds: row ? Math.max(0, row.oldest) : 0 };
    }),
  );
}

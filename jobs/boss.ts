import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { DatabaseReachability } from '../schema/db/reachability.ts';

export const bossSchema = 'pgboss';

/**
 * pg-boss in its own schema of the service's database; queues and workers attach to it. Its
 * loops keep polling through an outage and resume when the database is back; their failures
 * meanwhile are the outage's, logged once by `reachability`.
 */
export async function startBoss(reachability: DatabaseReachability, logger: Logger, options: { superviseSeconds: number; poolSize: number }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: reachability.connectionString,
    schema: bossSchema,
    max: options.poolSize,
    // Queues created with `notify` still NOTIFY on insert; the job pumps listen for it
    // (jobs/job-wakeups.ts), so pg-boss's own listener would be a second connection for nothing.
    useListenNotify: false,
    // How often lost jobs (expired, or missing heartbeats) are detected and retried.
    superviseIntervalSeconds: options.superviseSeconds,
    monitorIntervalSeconds: options.superviseSeconds,
    // Backlog counts (which switch workers to continuous fetching) stay fresh.
    queueCacheIntervalSeconds: 1,
  });
  boss.on('error', (error) => {
    if (!reachability.report(error, 'pg-boss')) logger.error({ err: error }, 'pg-boss error');
  });
  await boss.start();
  return boss;
}

/** Lets running jobs finish (up to the timeout) before closing the connections. */
export async function stopBoss(boss: PgBoss): Promise<void> {
  await boss.stop({ graceful: true, timeout: 10_000 });
}

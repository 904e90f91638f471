import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql, type Kysely } from 'kysely';
import type { WipData } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../schema/db/types.ts';
import type { DatabaseReachability } from '../schema/db/reachability.ts';

/** How long a job loop may go without turning before it counts as stalled. */
export interface StallLimits {
  /** With no job in hand: since it last fetched, failed to fetch or finished a job (it polls every second or so). */
  idleMs: number;
  /** With jobs in hand: since it started them (their own timeouts end them before this). */
  busyMs: number;
}

export interface StalledLoop {
  queue: string;
  jobsInHand: number;
  stalledForMs: number;
}

/**
 * The job loops that stopped turning. A loop waiting on the database is turning (its fetch fails,
 * and says so): that is readiness's business, and restarting workers would not bring Postgres
 * back. A loop stopping with the process is not counted.
 */
export function stalledLoops(loops: readonly WipData[], now: number, limits: StallLimits): StalledLoop[] {
  const stalled: StalledLoop[] = [];
  for (const loop of loops) {
    if (loop.state === 'stopping' || loop.state === 'stopped') continue;
    const busy = loop.count > 0;
    const since = busy ? (loop.lastJobStartedOn ?? loop.createdOn) : Math.max(loop.createdOn, loop.lastFetchedOn ?? 0, loop.lastErrorOn ?? 0, loop.lastJobEndedOn ?? 0);
    const stalledForMs = now - since;
    if (stalledForMs > (busy ? limits.busyMs : limits.idleMs)) stalled.push({ queue: loop.name, jobsInHand: loop.count, stalledForMs });
  }
  return stalled;
}

export interface WorkerHealth {
  port: number;
  close(): Promise<void>;
}

/**
 * The standalone worker's probes, on a port of their own (it serves no API):
 * - `GET /healthz`, liveness: 200 while every job loop turns, 503 naming the stalled ones. An
 *   event loop that is stuck does not answer at all, which a probe's timeout reports the same way.
 * - `GET /readyz`, readiness: 200 when Postgres answers, 503 otherwise.
 */
export async function startWorkerHealth(options: {
  /** The job loops, in pg-boss's shape. */
  loops: () => WipData[];
  db: Kysely<Database>;
  reachability: DatabaseReachability;
  host: string;
  port: number;
  limits: StallLimits;
  logger: Logger;
}): Promise<WorkerHealth> {
  const { loops: readLoops, db, reachability, limits, logger } = options;
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(status === 503 ? { 'retry-after': '1' } : {}) });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, { status: 'error', message: 'Only GET' });
    if (path === '/healthz') {
      // Jobs wait out an outage on purpose (their results must not be lost): readiness says so, and a restart would not help.
      if (reachability.away) return answer(200, { status: 'ok', database: 'away' });
      const loops = readLoops();
      const stalled = stalledLoops(loops, Date.now(), limits);
      return stalled.length === 0 ? answer(200, { status: 'ok', loops: loops.length }) : answer(503, { status: 'stalled', stalled });
    }
    if (path === '/readyz') {
      void sql`select 1`
        .execute(db)
        .then(
          () => answer(200, { status: 'ok', database: 'reachable' }),
          () => answer(503, { status: 'error', database: 'unreachable' }),
        );
      return;
    }
    answer(404, { status: 'error', message: 'GET /healthz or /readyz' });
  });
  // A probe is a few bytes: no client holds this port for long.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'worker health listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

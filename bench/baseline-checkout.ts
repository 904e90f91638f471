import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { benchDatabaseUrl } from './bench-server.ts';

const run = promisify(execFile);

/**
 * Another checkout of this repository (an earlier commit, with its own node_modules) measured in
 * the same run as this one: a change's cost is only visible beside what it replaced, on the same
 * machine in the same minutes. It gets a database of its own, since its migrations may differ.
 */
export interface BaselineCheckout {
  root: string;
  commit: string;
  databaseUrl: string;
  /** A project with a grant and a key with both scopes, made by the checkout's own admin CLI. */
  createKey(): Promise<string>;
}

export async function openBaselineCheckout(root: string): Promise<BaselineCheckout> {
  const commit = (await run('git', ['-C', root, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const url = new URL(benchDatabaseUrl);
  const name = `${url.pathname.slice(1)}_baseline`;
  const admin = new pg.Client({ connectionString: benchDatabaseUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const adminCli = async (...args: string[]) =>
    (await run(process.execPath, ['server/admin-cli.ts', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl } })).stdout;
  return {
    root,
    commit,
    databaseUrl,
    async createKey() {
      const project = JSON.parse(await adminCli('projects:create', '--name', `bench-${Date.now()}`)) as { id: string };
      await adminCli('tokens:grant', '--project', project.id, '--amount', '1000000');
      const issued = await adminCli('keys:create', '--project', project.id, '--name', 'bench', '--scopes', 'ai:read,ai:generate');
      const secret = /API key \(shown once\): (\S+)/.exec(issued)?.[1];
      if (!secret) throw new Error(`the baseline's admin CLI printed no key: ${issued}`);
      return secret;
    },
  };
}

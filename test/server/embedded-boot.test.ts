import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/free-port.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { repoRoot } from '../helpers/paths.ts';

async function boot(dataDir: string, postgresPort: number): Promise<ChildServer> {
  return startChildServer({ DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(postgresPort), BOOTSTRAP_DEFAULT_KEY: 'true' });
}

let dataDir: string;
let postgresPort: number;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ai-primitives-boot-'));
  // Under root, the embedded cluster runs as the `postgres` user, which must reach the folder.
  await chmod(dataDir, 0o755);
  postgresPort = await freePort();
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the embedded default (no DATABASE_URL, no LOCAL_MODELS_DIR): a fresh clone', () => {
  let key: string;

  it('starts Postgres under DATA_DIR, prints one key, and the key works', async () => {
    const first = await boot(dataDir, postgresPort);
    try {
      const printed = /sk_live_[0-9A-Za-z]{40}/.exec(first.output());
      expect(printed, first.output()).not.toBeNull();
      key = printed![0];
      expect(first.output()).toContain(`curl -H "Authorization: Bearer ${key}"`);
      expect(first.output()).toContain('Balance: 1000 tokens');
      const logLines = first.output().split('\n').filter((line) => line.startsWith('{'));
      for (const line of logLines) expect(line).not.toContain(key);

      const response = await fetch(`${first.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect((await response.json()).object).toBe('list');

      // The README's first curl, without a model: the bundled models/stories260K.gguf answers.
      const generated = await fetch(`${first.baseUrl}/infra/ai/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'Once upon a time', max_output_tokens: 20, temperature: 0 }),
      });
      const answer = await generated.json();
      expect(generated.status, JSON.stringify(answer)).toBe(200);
      expect(answer.data.model).toBe('local:stories260K');
      expect(answer.data.output_text).toMatch(/^, there was a little girl named Lily/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  }, 90_000);

  it('reuses the data on the second boot and prints no new key', async () => {
    const second = await boot(dataDir, postgresPort);
    try {
      expect(second.output()).not.toMatch(/sk_live_/);
      const response = await fetch(`${second.baseUrl}/infra/ai/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);

  it('after a crash, stops the cluster left running and starts it afresh; a graceful stop then stops it', async () => {
    const crashed = await boot(dataDir, postgresPort);
    const postmasterPid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    crashed.child.kill('SIGKILL');
    await new Promise((resolve) => crashed.child.once('exit', resolve));
    expect(isAlive(postmasterPid)).toBe(true);

    const next = await boot(dataDir, postgresPort);
    expect(isAlive(postmasterPid)).toBe(false);
    const response = await fetch(`${next.baseUrl}/infra/ai/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const restartedPid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(await next.stop()).toBe(0);
    expect(isAlive(restartedPid)).toBe(false);
  }, 120_000);
});

describe('Ctrl-C on npm start: the service stops first, its embedded Postgres last', () => {
  it('SIGINT to the process group of `npm start` (as a terminal sends it): one line of output, exit 0, no postgres left', async () => {
    const { DATABASE_URL: _inherited, ...inherited } = process.env;
    // A group of its own, as a terminal's foreground job: the signal goes to every process in it.
    const npm = spawn('npm', ['start'], {
      cwd: repoRoot,
      detached: true,
      env: { ...inherited, DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(postgresPort), PORT: '0', HOST: '127.0.0.1', BOOTSTRAP_DEFAULT_KEY: 'false', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    for (let waited = 0; !output.includes('"msg":"listening"'); waited += 100) {
      if (waited > 80_000 || npm.exitCode !== null) throw new Error(`npm start did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const postmasterPid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(processGroupOf(postmasterPid)).not.toBe(npm.pid);

    process.kill(-npm.pid!, 'SIGINT');
    const code = await exited;
    const afterListening = output.slice(output.indexOf('"msg":"listening"')).split('\n').slice(1).filter((line) => line.trim() !== '');
    console.log(`npm start after Ctrl-C: exit ${code}, ${afterListening.length} line(s) of output:`, afterListening);
    expect(code).toBe(0);
    expect(afterListening).toHaveLength(1);
    expect(JSON.parse(afterListening[0]!)).toMatchObject({ msg: 'shutting down', signal: 'SIGINT' });
    expect(isAlive(postmasterPid)).toBe(false);
  }, 120_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the service process alone: exit 0, one line of output, no postgres left', async (signal) => {
    const server = await boot(dataDir, postgresPort);
    const postmasterPid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const before = server.output().length;
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill(signal);
    const code = await exited;
    const lines = server.output().slice(before).split('\n').filter((line) => line.trim() !== '');
    console.log(`${signal} to the service: exit ${code}, ${lines.length} line(s) of output:`, lines);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'shutting down', signal });
    expect(isAlive(postmasterPid)).toBe(false);
  }, 120_000);
});

describe('two instances on one machine', () => {
  it('run side by side with their own DATA_DIR, without a port set', async () => {
    const dirs = await Promise.all([0, 1].map(async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ai-primitives-pair-'));
      await chmod(dir, 0o755);
      return dir;
    }));
    const servers: ChildServer[] = [];
    try {
      for (const dir of dirs) servers.push(await startChildServer({ DATA_DIR: dir, BOOTSTRAP_DEFAULT_KEY: 'true' }));
      for (const server of servers) expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
      const ports = await Promise.all(dirs.map(async (dir) => JSON.parse(await readFile(path.join(dir, 'postgres-owner.json'), 'utf8')).port));
      expect(new Set(ports).size).toBe(2);
    } finally {
      for (const server of servers) await server.stop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process group a process belongs to (Linux: the fifth field of /proc/<pid>/stat). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/free-port.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';

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

import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Boot {
  child: ChildProcess;
  output: () => string;
  port: number;
}

/** Runs `node server/main.ts` as `npm start` does, with no DATABASE_URL, until it listens. */
async function boot(dataDir: string, postgresPort: number): Promise<Boot> {
  const { DATABASE_URL: _ignored, ...environment } = process.env;
  const child = spawn(process.execPath, ['server/main.ts'], {
    cwd: repoRoot,
    env: { ...environment, DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(postgresPort), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 50_000);
    child.stdout!.on('data', () => {
      const listening = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(Number(listening[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output, port };
}

async function stop(running: Boot): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  return exited;
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

describe('the embedded default (no DATABASE_URL)', () => {
  let key: string;

  it('starts Postgres under DATA_DIR, prints one key, and the key works', async () => {
    const first = await boot(dataDir, postgresPort);
    try {
      const printed = /sk_live_[0-9A-Za-z]{40}/.exec(first.output());
      expect(printed, first.output()).not.toBeNull();
      key = printed![0];
      expect(first.output()).toContain(`curl -H "Authorization: Bearer ${key}"`);
      const logLines = first.output().split('\n').filter((line) => line.startsWith('{'));
      for (const line of logLines) expect(line).not.toContain(key);

      const response = await fetch(`http://127.0.0.1:${first.port}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect((await response.json()).object).toBe('list');
    } finally {
      expect(await stop(first)).toBe(0);
    }
  });

  it('reuses the data on the second boot and prints no new key', async () => {
    const second = await boot(dataDir, postgresPort);
    try {
      expect(second.output()).not.toMatch(/sk_live_/);
      const response = await fetch(`http://127.0.0.1:${second.port}/infra/ai/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});

import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { repoRoot } from '../helpers/paths.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

async function projectCount(): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return Number((await client.query('select count(*) from projects')).rows[0].count);
  } catch {
    return 0; // not migrated yet: no projects either
  } finally {
    await client.end();
  }
}

describe('the first-boot key', () => {
  it('is not created by a boot that cannot listen, is printed by the next one, and later boots say how to get another', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as AddressInfo).port);
    const environment = { DATABASE_URL: database.url, BOOTSTRAP_DEFAULT_KEY: 'true' };
    try {
      await expect(startChildServer({ ...environment, PORT: port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    expect(await projectCount()).toBe(0);

    const first = await startChildServer(environment);
    await first.stop();
    expect(first.output()).toMatch(/First boot: created project "default" \(proj_\w+\) and its API key:\n\n {4}sk_/);

    const second = await startChildServer(environment);
    await second.stop();
    expect(second.output()).not.toContain('First boot');
    expect(second.output()).toContain('npm run admin -- keys:create --project');
  }, 60_000);
});

describe('npm run admin -- projects:bootstrap (the Kubernetes first-key Job)', () => {
  it('on an empty database creates the default project and prints its key once; run again, creates nothing', async () => {
    const empty = await createTestDatabase();
    try {
      const bootstrap = async () =>
        (await promisify(execFile)(process.execPath, ['server/admin-cli.ts', 'projects:bootstrap'], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: empty.url } })).stdout;
      const first = await bootstrap();
      const secret = /First API key of project "default" \(shown once\): (sk_live_\w+)/.exec(first)?.[1];
      expect(secret).toBeDefined();
      const second = await bootstrap();
      expect(second).not.toContain('sk_live_');
      expect(second).toContain('npm run admin -- keys:create --project');
    } finally {
      await empty.drop();
    }
  }, 60_000);
});

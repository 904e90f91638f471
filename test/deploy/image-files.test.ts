import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { bearer } from '../helpers/test-server.ts';

/**
 * The image as the Dockerfile builds it, without a Docker engine: its runtime stage's COPY
 * instructions assemble the file set in a temporary folder (node_modules linked from this
 * checkout, as the deps stage installs them), and the server boots from there. Whatever the
 * server needs at run time and the Dockerfile leaves out shows here as a failed page.
 */
async function assembleImage(): Promise<string> {
  const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const root = await mkdtemp(path.join(tmpdir(), 'image-'));
  const app = path.join(root, 'app');
  for (const [, from, source, target] of runtime.matchAll(/^COPY (?:--from=(\S+) )?(?:--chown=\S+ )?(\S+) (\S+)$/gm)) {
    const destination = path.join(app, target!.endsWith('/') ? path.basename(source!) : target!);
    await mkdir(path.dirname(destination), { recursive: true });
    if (from) await symlink(path.join(repoRoot, source!.replace(/^\/app\//, '')), destination);
    else await cp(path.join(repoRoot, source!), destination, { recursive: true });
  }
  return root;
}

async function filesUnder(folder: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? filesUnder(path.join(folder, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`])));
  return nested.flat();
}

describe('the image built from the Dockerfile', () => {
  let root: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: ChildServer;

  beforeAll(async () => {
    root = await assembleImage();
    database = await createTestDatabase();
    server = await startChildServer(
      { DATABASE_URL: database.url, NODE_ENV: 'production', DATA_DIR: path.join(root, 'data'), LOCAL_MODELS_DIR: path.join(root, 'app', 'models') },
      { cwd: path.join(root, 'app') },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('serves the dashboard and every one of its files, the docs, the OpenAPI document and health', async () => {
    const home = await fetch(`${server.baseUrl}/`, { redirect: 'manual' });
    expect(home.headers.get('location')).toBe('/dashboard');
    expect((await fetch(`${server.baseUrl}/dashboard`)).status).toBe(200);
    for (const file of await filesUnder(path.join(repoRoot, 'dashboard'))) {
      if (file === 'index.html') continue;
      expect((await fetch(`${server.baseUrl}/dashboard/${file}`)).status, `/dashboard/${file}`).toBe(200);
    }
    for (const page of ['/docs', '/openapi.json', '/healthz', '/readyz']) expect((await fetch(server.baseUrl + page)).status, page).toBe(200);
  });

  it('answers an API call with a key, and runs the bundled local text model', async () => {
    const { secret } = await provisionKey(database.url, 'image', { grant: '1000' });
    const models = await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(secret) });
    expect(models.status).toBe(200);
    const response = await fetch(`${server.baseUrl}/infra/ai/responses`, {
      method: 'POST',
      headers: { ...bearer(secret), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local:stories260K', input: 'Once upon a time', max_output_tokens: 8 }),
    });
    expect(response.status).toBe(200);
  });
});

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/db/types.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { bearer } from '../helpers/test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeUpstream;
const servers: ChildServer[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await fake.close();
  await database.drop();
});

async function createKey(): Promise<string> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
  try {
    const project = await insertProject(db, 'crash');
    return (await issueApiKey(db, { projectId: project.id, name: 'crash', scopes: ['ai:read', 'ai:generate'] })).secret;
  } finally {
    await db.destroy();
  }
}

describe('a worker killed mid-operation', () => {
  it('leaves nothing stuck: after a restart the operation runs again and succeeds', async () => {
    const environment = {
      DATABASE_URL: database.url,
      OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['sleepy'] }]),
      OPERATION_HEARTBEAT_SECONDS: '10',
      JOBS_SUPERVISE_SECONDS: '1',
    };
    const first = await startChildServer(environment);
    servers.push(first);
    const key = await createKey();
    const accepted = await fetch(`${first.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake:sleepy', messages: [{ role: 'user', content: 'survive' }], async: true }),
    });
    const { id } = (await accepted.json()) as { id: string };
    await waitForOperation(first.baseUrl, key, id, ['processing'], 10);

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startChildServer(environment);
    servers.push(second);
    // The lost job's heartbeat lapses (10 s), pg-boss hands it out again, the new worker runs it.
    const done = await waitForOperation(second.baseUrl, key, id, ['succeeded', 'failed'], 100);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.result.choices[0].message.content).toBe('echo: survive');
  }, 60_000);
});

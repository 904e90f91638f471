import { pino } from 'pino';
import { loadConfig } from '../../server/config.ts';
import { startServer, type RunningServer } from '../../server/http-server.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { insertGrant } from '../../schema/db/queries/ledger.ts';
import type { Scope } from '../../accounts/scopes.ts';
import { bundledModelsDir } from './paths.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestServer {
  baseUrl: string;
  running: RunningServer;
  /** A fresh project granted `grant` tokens (default 1000), with one key holding the given scopes. */
  createKey(scopes?: Scope[], grant?: string): Promise<{ secret: string; keyId: string; projectId: string }>;
  close(): Promise<void>;
}

/**
 * A real server on an ephemeral loopback port, on the machine's Postgres, in a database of its
 * own (dropped on close) unless DATABASE_URL is given.
 */
export async function startTestServer(environment: Record<string, string> = {}): Promise<TestServer> {
  const database = environment.DATABASE_URL ? undefined : await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database?.url ?? environment.DATABASE_URL!,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    BOOTSTRAP_DEFAULT_KEY: 'false',
    LOCAL_MODELS_DIR: bundledModelsDir,
    DATABASE_POOL_SIZE: '4',
    JOBS_SUPERVISE_SECONDS: '1',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    // Every answer checked against its schema: the same check production runs on a sample.
    VALIDATE_OUTPUTS_SAMPLE: '1',
    ...environment,
  });
  const running = await startServer(config, pino({ level: 'silent' })).catch(async (error: unknown) => {
    await database?.drop();
    throw error;
  });
  return {
    baseUrl: `http://127.0.0.1:${running.port}`,
    running,
    async createKey(scopes = ['ai:read', 'ai:generate'], grant = '1000') {
      const project = await insertProject(running.services.db, `test-${Date.now()}`);
      if (grant !== '0') await insertGrant(running.services.db, { projectId: project.id, amount: grant });
      const issued = await issueApiKey(running.services.db, { projectId: project.id, name: 'test', scopes });
      return { secret: issued.secret, keyId: issued.key.id, projectId: project.id };
    },
    async close() {
      await running.close();
      await database?.drop();
    },
  };
}

export function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

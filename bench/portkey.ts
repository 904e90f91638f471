import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort } from '../server/free-port.ts';
import { repoRoot } from './bench-server.ts';

export interface PortkeyGateway {
  baseUrl: string;
  child: ChildProcess;
  /** Headers that route a request through Portkey to an OpenAI-compatible upstream. */
  headersFor(upstreamBaseUrl: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Portkey's open-source AI gateway (@portkey-ai/gateway, a dev dependency for this comparison)
 * in its own process, as its README runs it: the reference point for the gateway benchmarks.
 */
export async function startPortkey(): Promise<PortkeyGateway> {
  const port = await freePort();
  const entry = path.join(path.dirname(createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json')), 'build/start-server.js');
  const child = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`Portkey exited with ${child.exitCode}`);
    const ready = await fetch(baseUrl).then((response) => response.ok, () => false);
    if (ready) break;
    if (attempt > 200) throw new Error('Portkey did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    baseUrl,
    child,
    headersFor: (upstreamBaseUrl) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamBaseUrl, authorization: 'Bearer sk-bench' }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './bench-server.ts';

/** Runs a TypeScript file of this repository in a child process and waits for its first stdout line. */
export async function startChild(file: string, environment: Record<string, string> = {}): Promise<{ child: ChildProcess; firstLine: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [file], { cwd: repoRoot, env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline >= 0) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(output.slice(0, newline));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return {
    child,
    firstLine,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

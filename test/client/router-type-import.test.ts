import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';

const run = promisify(execFile);

/**
 * A monorepo app that calls tRPC directly imports the router's type from the service's source, as
 * the README shows. Its own tsconfig is plain strict (none of this project's extra flags such as
 * noUncheckedIndexedAccess) with `.ts` imports allowed: the service's source it follows must
 * type-check there too.
 */
describe('importing AppRouter from a plain strict project', () => {
  it('type-checks without errors', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'router-consumer-'));
    try {
      await writeFile(
        path.join(folder, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, files: ['app.ts'] }),
      );
      await writeFile(
        path.join(folder, 'app.ts'),
        `import type { AppRouter } from ${JSON.stringify(path.join(repoRoot, 'server/app-router.ts'))};\nexport type Procedures = keyof AppRouter['_def']['record'];\n`,
      );
      const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
      const outcome = await run(process.execPath, [tsc, '-p', folder], { cwd: folder }).then(
        ({ stdout }) => stdout,
        (error: { stdout: string }) => error.stdout,
      );
      expect(outcome).toBe('');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});

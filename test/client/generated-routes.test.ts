import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedSources } from '../../client/scripts/generate-routes.ts';

/**
 * The client's route types are printed from the router by the compiler, and its resource tree is
 * written from the same routes; a change to a procedure's input or output, path or method, or a
 * new route, must come with `npm run client:generate`, or this fails.
 */
describe('client/src/generated/', () => {
  it('is what the router generates today', async () => {
    for (const { file, source } of generatedSources()) {
      const committed = await readFile(file, 'utf8');
      // On failure: run `npm run client:generate` and commit the result.
      expect(source === committed, path.basename(file)).toBe(true);
    }
  }, 120_000);
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generatedRoutesFile, generateRoutesSource } from '../../client/scripts/generate-routes.ts';

/**
 * The client's route types are printed from the router by the compiler; a change to a procedure's
 * input or output, path or method must come with `npm run client:generate`, or this fails.
 */
describe('client/src/generated/routes.ts', () => {
  it('is what the router generates today', async () => {
    const committed = await readFile(generatedRoutesFile, 'utf8');
    // On failure: run `npm run client:generate` and commit the result.
    expect(generateRoutesSource() === committed).toBe(true);
  }, 120_000);
});

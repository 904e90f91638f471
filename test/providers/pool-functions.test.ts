import { afterAll, describe, expect, it } from 'vitest';
import { ComputePool, poolFunction } from '../../providers/local/compute/compute-pool.ts';
import { tiktokenTokens } from '../../providers/openai/tiktoken-tokenizer.ts';

const pool = new ComputePool({ threads: 1, queueLimit: 4, projectLimit: 4, maxWaitMs: 10_000, taskTimeoutMs: 30_000, maxMemoryMb: 512 });
afterAll(() => pool.close());
const options = { projectId: 'proj_pool_functions', param: 'input' };

/** Exported so the thread could find it; it lives outside providers/, so the thread must refuse it. */
export function outsideTheProviders(input: string): string {
  return input;
}

describe("a provider module's function on the compute pool", () => {
  it('runs in a thread and brings its result back, typed by the function', async () => {
    const tokens = await pool.run(poolFunction(new URL('../../providers/openai/tiktoken-tokenizer.ts', import.meta.url).href, tiktokenTokens), { encoding: 'cl100k_base', text: 'hello world' }, options);
    expect(tokens).toEqual([
      { id: 15339, text: 'hello' },
      { id: 1917, text: ' world' },
    ]);
  });

  it("names the module's export from the function itself", () => {
    expect(poolFunction('file:///x.ts', tiktokenTokens).exportName).toBe('tiktokenTokens');
  });

  it('refuses a module outside providers/, and a name the module does not export', async () => {
    await expect(pool.run(poolFunction(import.meta.url, outsideTheProviders), 'x', options)).rejects.toThrow(/is not a provider module/);
    const tokenizerModule = new URL('../../providers/openai/tiktoken-tokenizer.ts', import.meta.url).href;
    await expect(pool.run({ moduleUrl: tokenizerModule, exportName: 'ranksOf' }, {}, options)).rejects.toThrow(/exports no function ranksOf/);
  });
});

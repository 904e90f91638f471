import { afterAll, describe, expect, it } from 'vitest';
import { abandonCurrentScenario, runScenario, untimedFailures } from './run-scenario.ts';
import { scenarios } from './scenarios.ts';

/**
 * The fault-injection suite at its small size (`npm run chaos` runs it in full): every scenario
 * prints its figures, and this asserts the goals that do not depend on timing (no process exits,
 * the statuses, the exact counts). Latency and recovery-time goals are printed, never asserted.
 */
afterAll(() => abandonCurrentScenario());

describe('fault injection (small)', () => {
  for (const scenario of scenarios) {
    it(
      scenario.name,
      async () => {
        const run = await runScenario(scenario, 'small', (line) => console.log(line));
        expect(untimedFailures(run).map((goal) => `${goal.goal}: ${goal.observed}`)).toEqual([]);
      },
      // The scenario's own limit ends it first; this only covers its cleanup.
      scenario.timeoutMs.small + 30_000,
    );
  }
});

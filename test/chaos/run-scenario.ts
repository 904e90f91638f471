import { stopLoadGenerator } from '../../bench/paced-load.ts';
import { formatGoal } from './report.ts';
import { Stage, type Scenario, type ScenarioOutcome, type Size } from './stage.ts';

export interface ScenarioRun extends ScenarioOutcome {
  scenario: string;
  size: Size;
  durationMs: number;
  /** Why the scenario did not finish (an exception, its timeout); its goals are then failed. */
  error?: string;
}

let current: { stage: Stage; settled: Promise<unknown> } | undefined;

/**
 * Cleans up the scenario running now (for a Ctrl-C): its processes stopped, its databases
 * dropped; then waits (up to a minute) for it to notice, cleaning up again whatever it was
 * starting meanwhile.
 */
export async function abandonCurrentScenario(): Promise<void> {
  if (!current) return;
  const { stage, settled } = current;
  // Its loads in progress fail at once, so it notices soon.
  stopLoadGenerator();
  await stage.cleanup();
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
  await stage.cleanup();
}

/**
 * Runs one scenario within its time limit, prints its lines, its goals and one JSON line of its
 * figures, and always cleans up what it started. A scenario that throws or runs out of time is
 * reported with one failed goal saying why.
 */
export async function runScenario(scenario: Scenario, size: Size, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<ScenarioRun> {
  const stage = new Stage(size, (line) => print(`  ${line}`));
  const started = performance.now();
  print(`\n## ${scenario.name} (${size}): ${scenario.summary}`);
  let outcome: ScenarioOutcome;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = scenario.timeoutMs[size];
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${limit / 1000} s`)), limit);
    });
    const running = scenario.run(stage);
    current = { stage, settled: running.catch(() => {}) };
    outcome = await Promise.race([running, expired]);
  } catch (thrown) {
    // A scenario that ran out of time may still be loading the server: its load must not run on into the next scenario.
    stopLoadGenerator();
    error = thrown instanceof Error ? thrown.message : String(thrown);
    outcome = { figures: {}, goals: [{ goal: 'the scenario runs to its end', met: false, observed: error, timed: false }] };
  } finally {
    clearTimeout(timer);
    await stage.cleanup();
    current = undefined;
  }
  const run: ScenarioRun = { scenario: scenario.name, size, durationMs: Math.round(performance.now() - started), ...outcome, ...(error ? { error } : {}) };
  for (const goal of run.goals) print(`  ${formatGoal(goal)}`);
  print(`  ${JSON.stringify({ scenario: run.scenario, size, duration_ms: run.durationMs, figures: run.figures })}`);
  return run;
}

/** The goals a CI run asserts: every untimed one that was not met. */
export const untimedFailures = (run: ScenarioRun) => run.goals.filter((goal) => !goal.timed && !goal.met);

import { abandonCurrentScenario, runScenario, type ScenarioRun } from './run-scenario.ts';
import { formatGoal } from './report.ts';
import { scenarios } from './scenarios.ts';
import type { Size } from './stage.ts';

/**
 * `npm run chaos [-- name...]`: runs the fault-injection scenarios (all by default) at
 * CHAOS_SIZE (full unless `small`), prints each one's figures and goals, and exits 1 when any
 * goal, timed ones included, was not met. Ctrl-C stops the running scenario's processes and
 * private Postgres before exiting.
 */
const size: Size = process.env.CHAOS_SIZE === 'small' ? 'small' : 'full';
if (process.env.CHAOS_SIZE && process.env.CHAOS_SIZE !== 'small' && process.env.CHAOS_SIZE !== 'full') {
  process.stderr.write(`CHAOS_SIZE must be small or full, not "${process.env.CHAOS_SIZE}"\n`);
  process.exit(2);
}
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !scenarios.some((scenario) => scenario.name === name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown scenario ${unknown.map((name) => `"${name}"`).join(', ')}. Known: ${scenarios.map((scenario) => scenario.name).join(', ')}\n`);
  process.exit(2);
}

// A scenario stopped by its timeout or a Ctrl-C may still have work in flight that fails: say so, and go on.
process.on('unhandledRejection', (reason) => process.stderr.write(`(a stopped scenario's leftover failed: ${reason instanceof Error ? reason.message : String(reason)})\n`));

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the running scenario's processes and databases…\n`);
    void abandonCurrentScenario().finally(() => process.exit(130));
  });
}

const runs: ScenarioRun[] = [];
for (const scenario of scenarios.filter((candidate) => requested.length === 0 || requested.includes(candidate.name))) {
  if (interrupted) break;
  runs.push(await runScenario(scenario, size));
}

process.stdout.write(`\n## summary (${size})\n`);
for (const run of runs) {
  const failed = run.goals.filter((goal) => !goal.met);
  process.stdout.write(`${failed.length === 0 ? 'PASS' : 'FAIL'} ${run.scenario} (${(run.durationMs / 1000).toFixed(1)} s)\n`);
  for (const goal of failed) process.stdout.write(`     ${formatGoal(goal)}\n`);
}
process.exit(runs.every((run) => run.goals.every((goal) => goal.met)) ? 0 : 1);

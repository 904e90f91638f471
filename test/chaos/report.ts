import { percentile } from '../../bench/paced-load.ts';
import { isSuccess, type PacedMixResult } from './paced-mix.ts';
import type { Goal } from './stage.ts';

/** A goal checked in CI and by `npm run chaos`: a status, a count, a process alive. */
export const checked = (goal: string, met: boolean, observed: string): Goal => ({ goal, met, observed, timed: false });

/** A latency or time goal: checked and printed by `npm run chaos` only. */
export const timed = (goal: string, met: boolean, observed: string): Goal => ({ goal, met, observed, timed: true });

export interface LatencyFigures {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** p50, p99 and max of answered requests' latencies (any order), with the count of failed ones. */
export function latencyFigures(latenciesMs: number[], errors: number): LatencyFigures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { requests: sorted.length + errors, errors, p50Ms: round(percentile(sorted, 0.5)), p99Ms: round(percentile(sorted, 0.99)), maxMs: round(sorted.at(-1) ?? Number.NaN) };
}

/** Latency figures of a paced load's 2xx answers; every other answer (or none) is an error. */
export function loadLatency(result: PacedMixResult): LatencyFigures {
  const answered = result.requests.filter((request) => isSuccess(request.status));
  return latencyFigures(
    answered.map((request) => request.latencyMs),
    result.requests.length - answered.length,
  );
}

/** Each kind of a mixed load's latency, one line each (which of the victim's calls suffered). */
export function latencyByKind(result: PacedMixResult): string[] {
  const kinds = [...new Set(result.requests.map((request) => request.kind))];
  return kinds.map((kind) => `${kind}: ${describeLatency(loadLatency({ requests: result.requests.filter((request) => request.kind === kind), bodies: {} }))}`);
}

export const describeLatency = (figures: LatencyFigures) => `p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms, ${figures.errors} errors of ${figures.requests}`;

/** Counts of each distinct value, as `{ value: count }` in first-seen order. */
export function tally<T extends string | number>(values: Iterable<T>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

export const describeTally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([value, count]) => `${value}×${count}`)
    .join(' ') || 'none';

/** Rows as an aligned text table (columns from the first row's keys). */
export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]!);
  const cells = [columns, ...rows.map((row) => columns.map((column) => String(row[column] ?? '')))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]!.length)));
  return cells.map((line) => line.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd()).join('\n');
}

/** A goal as one line: PASS or FAIL, what it promises, what was seen. */
export const formatGoal = (goal: Goal) => `${goal.met ? 'PASS' : 'FAIL'} ${goal.timed ? '(timed) ' : ''}${goal.goal}: ${goal.observed}`;

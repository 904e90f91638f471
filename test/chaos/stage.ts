import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startChild } from '../../bench/child-process.ts';
import { startChildServer, startChildWorker, type ChildServer } from '../helpers/child-server.ts';
import { bundledModelsDir } from '../helpers/paths.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { HeavySenders } from './heavy-senders.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

export type Size = 'small' | 'full';

/** One checked promise of a scenario. A timed goal (a latency, a recovery time) is checked by `npm run chaos` only, never in CI. */
export interface Goal {
  goal: string;
  met: boolean;
  observed: string;
  timed: boolean;
}

export interface ScenarioOutcome {
  figures: Record<string, unknown>;
  goals: Goal[];
}

export interface Scenario {
  name: string;
  summary: string;
  /** The whole scenario's limit, boots and cleanup included. */
  timeoutMs: Record<Size, number>;
  run(stage: Stage): Promise<ScenarioOutcome>;
}

/** A started process the stage watches: `alive()` is false once it has exited, for whatever reason. */
export interface Watched {
  child: ChildProcess;
  alive(): boolean;
}

const aliveOf = (child: ChildProcess) => () => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (!aliveOf(child)()) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const watched = (started: ChildServer): ChildServer & Watched => ({ ...started, alive: aliveOf(started.child) });

/** Settings every chaos server gets: the bundled models, and limits far above any scenario's load unless it sets its own. */
const serverDefaults = {
  LOCAL_MODELS_DIR: bundledModelsDir,
  RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000000',
  RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
};

/**
 * What one scenario runs on: its size, the processes and databases it starts (each stopped or
 * dropped by `cleanup`, whatever happened, in the reverse order), and its printed lines.
 */
export class Stage {
  readonly size: Size;
  readonly #print: (line: string) => void;
  readonly #cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  #closed = false;

  constructor(size: Size, print: (line: string) => void) {
    this.size = size;
    this.#print = print;
  }

  /** `small` in CI, `full` for `npm run chaos`. */
  pick<T>(sizes: Record<Size, T>): T {
    return sizes[this.size];
  }

  print(line = ''): void {
    this.#print(line);
  }

  defer(name: string, run: () => Promise<unknown>): void {
    this.#cleanups.push({ name, run });
  }

  /**
   * Stops and drops everything started so far, in the reverse order. From then on the stage is
   * closed: a scenario still running (it timed out, or Ctrl-C came) can start nothing more.
   */
  async cleanup(): Promise<void> {
    this.#closed = true;
    for (const { name, run } of this.#cleanups.splice(0).reverse()) {
      await run().catch((error: unknown) => this.print(`cleanup of ${name} failed: ${String(error)}`));
    }
  }

  /** Starts something the stage must clean up; refused once the stage is closed, and undone at once if it closed meanwhile. */
  async #start<T>(name: string, start: () => Promise<T>, stop: (started: T) => Promise<unknown>): Promise<T> {
    if (this.#closed) throw new Error(`the scenario was stopped before its ${name} started`);
    const started = await start();
    if (this.#closed) {
      await stop(started);
      throw new Error(`the scenario was stopped while its ${name} started`);
    }
    this.defer(name, () => stop(started));
    return started;
  }

  /** A fresh database on the shared test Postgres, dropped at cleanup. */
  async database(): Promise<string> {
    return (await this.#start('database', createTestDatabase, (database) => database.drop())).url;
  }

  /** A Postgres cluster of the scenario's own (which it may restart or kill), destroyed at cleanup. */
  privatePostgres(): Promise<PrivatePostgres> {
    return this.#start('private postgres', () => startPrivatePostgres(), (cluster) => cluster.destroy());
  }

  /** A database of its own on a private cluster. */
  async databaseOn(cluster: PrivatePostgres, name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    } finally {
      await admin.end();
    }
    const url = new URL(cluster.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** `node server/main.ts` in its own process, stopped at cleanup. */
  async server(environment: Record<string, string>): Promise<ChildServer & Watched> {
    return watched(await this.#start('server', () => startChildServer({ ...serverDefaults, ...environment }), (started) => stopProcess(started.child)));
  }

  /** `node server/worker-main.ts` in its own process, stopped at cleanup. */
  async worker(environment: Record<string, string>): Promise<ChildServer & Watched> {
    return watched(await this.#start('worker', () => startChildWorker({ ...serverDefaults, ...environment }), (started) => stopProcess(started.child)));
  }

  /** The fake OpenAI-compatible upstream in a process of its own (it must not share the measured processes' CPU slices). */
  async fakeUpstreamProcess(): Promise<{ baseUrl: string }> {
    const fake = await this.#start('fake upstream', () => startChild('bench/fake-upstream-process.ts'), (started) => stopProcess(started.child));
    return JSON.parse(fake.firstLine) as { baseUrl: string };
  }

  /** The heavy clients in a process of their own, at a lower CPU priority (heavy-senders.ts says why), stopped at cleanup. */
  heavySenders(): Promise<HeavySenders> {
    return this.#start('heavy senders', () => HeavySenders.start(), (senders) => stopProcess(senders.child));
  }

  /** A project and its key in `databaseUrl` (which a server has migrated), with a grant no scenario spends. */
  async key(databaseUrl: string, name: string, limits: { requestsPerMinute?: number; tokensPerMinute?: number } = {}): Promise<string> {
    return (await provisionKey(databaseUrl, `chaos-${name}`, { grant: '1000000000000', ...limits })).secret;
  }
}

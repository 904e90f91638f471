import { ProviderError } from '../spec/provider-error.ts';

/** How much may wait in front of a pool, and for how long. */
export interface QueueLimits {
  /** Tasks allowed to wait for a resource, all projects together (the pool's own setting names it). */
  queueLimit: number;
  /** Tasks one project may have running or waiting at once (LOCAL_PROJECT_QUEUE_LIMIT). */
  projectLimit: number;
  /** The longest a task waits for a resource before it is refused (LOCAL_QUEUE_MAX_WAIT_MS). */
  maxWaitMs: number;
}

export interface PoolUsage {
  capacity: number;
  busy: number;
  waiting: number;
  /** Tasks turned away (503) since start: the line was full, the project at its limit, or the wait too long. */
  refused: number;
  queueLimit: number;
  projectLimit: number;
  /** The most tasks any one project has running or waiting now. */
  busiestProject: number;
}

/** Names a refusal's message uses: what the pool is and which setting bounds its line. */
export interface PoolNames {
  /** e.g. `the local compute pool`. */
  pool: string;
  /** The setting of `queueLimit`, e.g. `LOCAL_POOL_QUEUE_LIMIT`. */
  queueSetting: string;
}

interface Waiter<T> {
  projectId: string;
  admit(resource: T): void;
}

interface ProjectShare<T> {
  /** Running and waiting. */
  held: number;
  waiting: Waiter<T>[];
}

/** A refused task comes back after about this long at least, and is never told to wait more than this. */
const retryAfterBounds = { min: 1, max: 60 };

/**
 * Hands each of a fixed set of resources (compute threads, llama.cpp context sequences) to one
 * task at a time. In front of them, a line bounded three ways, so that a flood is refused at once
 * (503 with Retry-After) instead of growing memory and latency: at most `queueLimit` tasks wait,
 * one project holds at most `projectLimit` places (running or waiting), and nobody waits longer
 * than `maxWaitMs`. Freed resources go to the waiting projects in turn (round robin), each
 * project's own tasks in order, so one project's backlog never stands in front of another's task.
 */
export class BoundedPool<T> {
  readonly #free: T[];
  readonly #capacity: number;
  readonly #limits: QueueLimits;
  readonly #names: PoolNames;
  readonly #projects = new Map<string, ProjectShare<T>>();
  /** Projects with waiting tasks, in the order they are served next. */
  readonly #turns: string[] = [];
  #waiting = 0;
  #refused = 0;
  /** A moving average of how long a task holds a resource: what Retry-After is estimated from. */
  #averageHoldMs = 1000;

  constructor(resources: T[], limits: QueueLimits, names: PoolNames) {
    this.#capacity = resources.length;
    this.#free = [...resources];
    this.#limits = limits;
    this.#names = names;
  }

  /** How full the pool is right now, and how many tasks it has refused so far (read by /metrics). */
  get usage(): PoolUsage {
    let busiestProject = 0;
    for (const share of this.#projects.values()) busiestProject = Math.max(busiestProject, share.held);
    return {
      capacity: this.#capacity,
      busy: this.#capacity - this.#free.length,
      waiting: this.#waiting,
      refused: this.#refused,
      queueLimit: this.#limits.queueLimit,
      projectLimit: this.#limits.projectLimit,
      busiestProject,
    };
  }

  /**
   * Throws the 503 a task of this project would get now, without queueing one: lets a caller
   * refuse work before it spends anything on it (reading a request body).
   */
  checkAdmission(projectId: string): void {
    const refusal = this.#refusalFor(projectId);
    if (refusal) {
      this.#refused++;
      throw refusal;
    }
  }

  #refusalFor(projectId: string): ProviderError | undefined {
    const held = this.#projects.get(projectId)?.held ?? 0;
    if (held >= this.#limits.projectLimit) {
      return this.#refuse(
        `This project already has ${held} tasks running or waiting for ${this.#names.pool} (LOCAL_PROJECT_QUEUE_LIMIT ${this.#limits.projectLimit}); retry when they finish`,
        this.#projects.get(projectId)!.waiting.length + 1,
      );
    }
    if (this.#free.length === 0 && this.#waiting >= this.#limits.queueLimit) {
      return this.#refuse(`${capitalised(this.#names.pool)} is full (${this.#names.queueSetting} ${this.#limits.queueLimit} tasks waiting); retry shortly`, this.#waiting);
    }
    return undefined;
  }

  /** Runs `task` on a resource once one is free for it; refuses at once (503) past the bounds. */
  async use<R>(projectId: string, task: (resource: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    signal?.throwIfAborted();
    this.checkAdmission(projectId);
    const share = this.#projects.get(projectId) ?? { held: 0, waiting: [] };
    this.#projects.set(projectId, share);
    share.held++;
    let resource: T;
    try {
      resource = await this.#acquire(projectId, share, signal);
    } catch (error) {
      this.#leave(projectId, share);
      throw error;
    }
    const started = performance.now();
    try {
      return await task(resource);
    } finally {
      this.#averageHoldMs += (performance.now() - started - this.#averageHoldMs) / 8;
      this.#leave(projectId, share);
      this.#release(resource);
    }
  }

  #acquire(projectId: string, share: ProjectShare<T>, signal: AbortSignal | undefined): Promise<T> {
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        projectId,
        admit: (resource) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', abandon);
          resolve(resource);
        },
      };
      const leaveLine = (reason: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        this.#removeWaiter(share, waiter);
        reject(reason);
      };
      const abandon = () => leaveLine(signal!.reason);
      const timer = setTimeout(() => {
        this.#refused++;
        leaveLine(
          this.#refuse(
            `Waited ${this.#limits.maxWaitMs} ms for ${this.#names.pool} without a turn (LOCAL_QUEUE_MAX_WAIT_MS); the server is busy, retry later`,
            this.#waiting,
          ),
        );
      }, this.#limits.maxWaitMs);
      timer.unref();
      signal?.addEventListener('abort', abandon, { once: true });
      if (share.waiting.length === 0) this.#turns.push(projectId);
      share.waiting.push(waiter);
      this.#waiting++;
    });
  }

  #removeWaiter(share: ProjectShare<T>, waiter: Waiter<T>): void {
    const index = share.waiting.indexOf(waiter);
    if (index < 0) return;
    share.waiting.splice(index, 1);
    this.#waiting--;
    const turn = this.#turns.indexOf(waiter.projectId);
    if (share.waiting.length === 0 && turn >= 0) this.#turns.splice(turn, 1);
  }

  #leave(projectId: string, share: ProjectShare<T>): void {
    if (--share.held === 0) this.#projects.delete(projectId);
  }

  /** The freed resource goes to the next project in turn, which goes to the back of the line if it has more waiting. */
  #release(resource: T): void {
    const projectId = this.#turns.shift();
    if (projectId === undefined) {
      this.#free.push(resource);
      return;
    }
    const share = this.#projects.get(projectId)!;
    const next = share.waiting.shift()!;
    this.#waiting--;
    if (share.waiting.length > 0) this.#turns.push(projectId);
    next.admit(resource);
  }

  /** A 503 for this project, its Retry-After estimated like the pool's own refusals. */
  refusalFor(projectId: string, message: string): ProviderError {
    return this.#refuse(message, (this.#projects.get(projectId)?.waiting.length ?? 0) + 1);
  }

  /** A 503 whose Retry-After is about how long the tasks ahead of it hold the resources. */
  #refuse(message: string, tasksAhead: number): ProviderError {
    const seconds = Math.ceil((this.#averageHoldMs * Math.max(1, tasksAhead)) / this.#capacity / 1000);
    return new ProviderError('unavailable', message, { retryAfterSeconds: Math.min(retryAfterBounds.max, Math.max(retryAfterBounds.min, seconds)) });
  }
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

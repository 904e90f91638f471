import { Piscina } from 'piscina';
import { BoundedPool, type PoolUsage, type QueueLimits } from '../bounded-pool.ts';
import { HeavyWorkAdmission } from '../heavy-work-admission.ts';
import { DocumentError } from '../documents/document-types.ts';
import { ProviderError } from '../../spec/provider-error.ts';
import type * as worker from './compute-worker.ts';
import type { PackedEmbeddings } from './compute-worker.ts';
import type { EmbeddingResult } from '../../spec/embeddings.ts';
import type { CallScope } from '../../spec/call-scope.ts';
import { rebuildTaskFailure, type TaskOutcome } from './task-errors.ts';

export interface ComputePoolOptions {
  /** Worker threads: how many CPU-heavy tasks run at once. */
  threads: number;
  /** Tasks allowed to wait for a thread, all projects together; beyond it the pool answers 503 at once. */
  queueLimit: number;
  /** Tasks one project may have running or waiting; beyond it that project gets 503 at once. */
  projectLimit: number;
  /** The longest a task waits for a thread; then it answers 503. */
  maxWaitMs: number;
  /** A task running longer is stopped (its thread is replaced) and answers 504. */
  taskTimeoutMs: number;
  /** Heap of each thread: a task needing more ends with 413, the thread is replaced. */
  maxMemoryMb: number;
}

/** How much lower than the event loop's the pool threads' scheduling priority is (Unix nice). */
const threadNiceness = 10;

type Tasks = Omit<typeof worker, 'call'>;
export type TaskName = keyof Tasks;
export type TaskInput<K extends TaskName> = Parameters<Tasks[K]>[0];
export type TaskValue<K extends TaskName> = Awaited<ReturnType<Tasks[K]>> extends TaskOutcome<infer T> ? T : never;

/**
 * A function another module runs on a pool thread, so a new adapter brings its own CPU-heavy
 * work without a task here: the thread imports the module on first use and calls the export.
 * The function must be exported under its own name; `run` below infers input and result from it.
 */
export interface PoolFunction<I, O> {
  readonly moduleUrl: string;
  readonly exportName: string;
  /** Never set: carries the function's type to `run`. */
  readonly signature?: (input: I) => O;
}

export function poolFunction<I, O>(moduleUrl: string, exported: (input: I) => Promise<O> | O): PoolFunction<I, O> {
  return { moduleUrl, exportName: exported.name };
}

/** Runs a request on the pool, a task of this pool's worker or a provider module's function; the scope stays out of the thread. */
export interface PoolRunner {
  <K extends TaskName>(task: K, request: TaskInput<K> & CallScope, param: string): Promise<TaskValue<K>>;
  <I, O>(task: PoolFunction<I, O>, request: I & CallScope, param: string): Promise<O>;
}

export interface TaskOptions {
  /** The project the work is for: each has its own bounded share of the line. */
  projectId: string;
  signal?: AbortSignal | undefined;
  /** The request field the work came from, named in limit and timeout errors. */
  param: string;
  /** Parsing: what the thread dying on an input means (the input is damaged, not the service). */
  documents?: boolean;
}

/**
 * A bounded pool of worker threads (piscina) for the CPU-heavy local models: embeddings, rerank,
 * moderation, speech, document parsing and OCR, large chunking. The event loop that answers
 * requests only posts tasks and reads results, so no input can freeze it. Threads start on the
 * first task; a task that crashes its thread or exceeds its limits costs that thread, never the
 * process.
 */
export class ComputePool {
  readonly #options: ComputePoolOptions;
  #pool: Piscina | undefined;
  /**
   * One slot per thread: a task enters piscina only when a thread is free, so the timeout counts
   * its running time, never its wait, and the line in front (bounded, abortable) is ours.
   */
  readonly #slots: BoundedPool<number>;
  readonly #admission: HeavyWorkAdmission;

  constructor(options: ComputePoolOptions) {
    this.#options = options;
    const limits: QueueLimits = { queueLimit: options.queueLimit, projectLimit: options.projectLimit, maxWaitMs: options.maxWaitMs };
    this.#slots = new BoundedPool(
      Array.from({ length: options.threads }, (_, index) => index),
      limits,
      { pool: 'the local compute pool', queueSetting: 'LOCAL_POOL_QUEUE_LIMIT' },
    );
    this.#admission = new HeavyWorkAdmission(this.#slots, options.projectLimit);
  }

  #piscina(): Piscina {
    this.#pool ??= new Piscina({
      filename: new URL('./compute-worker.ts', import.meta.url).href,
      minThreads: this.#options.threads,
      maxThreads: this.#options.threads,
      // Never used: tasks wait in front, for a slot.
      maxQueue: 'auto',
      // Loaded models stay warm: threads are not retired when idle.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      // Below the event loop's priority: on a machine with fewer cores than busy threads, the
      // thread answering requests (health checks, light calls) is scheduled first.
      niceIncrement: threadNiceness,
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxMemoryMb },
    });
    return this.#pool;
  }

  get usage(): PoolUsage {
    return this.#slots.usage;
  }

  /** Admits a request whose work is always local before its body is read, or throws its 503 (see HeavyWorkAdmission). */
  admit(projectId: string): () => void {
    return this.#admission.admit(projectId);
  }

  /**
   * Runs a task on a thread. `input` may be a loader, called once the task has its thread, so a
   * waiting task holds no bytes it does not need yet (a stored file is read when its turn comes).
   */
  async run<K extends TaskName>(task: K, input: TaskInput<K> | (() => Promise<TaskInput<K>>), options: TaskOptions): Promise<TaskValue<K>>;
  async run<I, O>(task: PoolFunction<I, O>, input: I, options: TaskOptions): Promise<O>;
  async run(task: TaskName | PoolFunction<unknown, unknown>, input: unknown, options: TaskOptions): Promise<unknown> {
    const outcome = await this.#slots.use(options.projectId, async () => {
      const loaded = typeof input === 'function' ? await (input as () => Promise<unknown>)() : input;
      const [name, posted] = typeof task === 'string' ? [task, loaded] : (['call', { moduleUrl: task.moduleUrl, exportName: task.exportName, input: loaded }] as const);
      const timeout = AbortSignal.timeout(this.#options.taskTimeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        return (await this.#piscina().run(posted, { name, signal })) as TaskOutcome<unknown>;
      } catch (error) {
        throw this.#explain(error, options, timeout);
      }
    }, options.signal);
    if (!outcome.ok) throw rebuildTaskFailure(outcome.failure);
    return outcome.value;
  }

  #explain(error: unknown, options: TaskOptions, timeout: AbortSignal): unknown {
    if (options.signal?.aborted) return options.signal.reason;
    const { param } = options;
    if (timeout.aborted) {
      return new ProviderError('timeout', `${param}: the local work took longer than LOCAL_TASK_TIMEOUT_MS (${this.#options.taskTimeoutMs} ms)`, {
        param,
        retryable: false,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const tooLarge = `${param}: needs more memory than LOCAL_POOL_MAX_MEMORY_MB (${this.#options.maxMemoryMb} MB) allows`;
      return options.documents ? new DocumentError('too_large', tooLarge) : new ProviderError('too_large', tooLarge, { param });
    }
    // The thread died on this input (a native decoder crashed): the input's fault for a parser.
    if (options.documents) return new DocumentError('corrupt', `${param}: the file could not be read (${message})`, { cause: error });
    return error;
  }

  async close(): Promise<void> {
    await this.#pool?.destroy();
  }
}

/** The vectors of one buffer moved from a pool thread, as views into it (no copy). */
export function unpackEmbeddings({ packed, dimensions, inputTokens }: PackedEmbeddings): EmbeddingResult {
  const vectors = Array.from({ length: dimensions === 0 ? 0 : packed.length / dimensions }, (_, index) => packed.subarray(index * dimensions, (index + 1) * dimensions));
  return { vectors, inputTokens };
}

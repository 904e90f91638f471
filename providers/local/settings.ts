import type { ComputePoolOptions } from './compute/compute-pool.ts';

/** How local models run: where GGUF files live, threads, GPU, and the bounded queue in front of them. */
export interface LocalModelsConfig {
  modelsDir: string;
  threads: number;
  gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false;
  /** Sequences per loaded model: how many generations run at once. */
  concurrency: number;
  /** Generations allowed to wait for a sequence of one model, all projects together. */
  queueLimit: number;
  /** Tasks one project may have running or waiting in each local pool (compute threads, each model's sequences). */
  projectQueueLimit: number;
  /** The longest a task waits in any local pool's line before it answers 503. */
  queueMaxWaitMs: number;
  /** Upper bound on the context allocated per sequence. */
  maxContextSize: number;
  /** The worker threads that run the CPU-heavy offline models. */
  pool: ComputePoolOptions;
}

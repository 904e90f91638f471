import type { ComputePoolOptions } from './compute/compute-pool.ts';

/** How local models run: where GGUF files live, threads, GPU, and the bounded queue in front of them. */
export interface LocalModelsConfig {
  modelsDir: string;
  threads: number;
  gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false;
  concurrency: number;
  queueLimit: number;
  maxContextSize: number;
  /** The worker threads that run the CPU-heavy offline models. */
  pool: ComputePoolOptions;
}

/** How local models run: where GGUF files live, threads, GPU, and the bounded queue in front of them. */
export interface LocalModelsConfig {
  modelsDir: string;
  threads: number;
  gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false;
  concurrency: number;
  queueLimit: number;
  maxContextSize: number;
}

import { getLlama, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from 'node-llama-cpp';
import path from 'node:path';
import { BoundedPool, type PoolUsage } from './bounded-pool.ts';

export interface LlamaRuntimeOptions {
  threads: number;
  gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false;
  /** Sequences per loaded model: how many generations run at once. */
  concurrency: number;
  /** Requests allowed to wait for a sequence, all projects together. */
  queueLimit: number;
  /** Requests one project may have generating or waiting, per model. */
  projectQueueLimit: number;
  /** The longest a request waits for a sequence. */
  queueMaxWaitMs: number;
  /** Upper bound on the context allocated per sequence. */
  maxContextSize: number;
}

export interface LoadedLlamaModel {
  model: LlamaModel;
  context: LlamaContext;
  /** The context's sequences, each lent to one generation at a time. */
  sequences: BoundedPool<LlamaContextSequence>;
}

/**
 * The llama.cpp binding and the loaded GGUF models, created lazily on first use and once per
 * process, so the server starts fast and concurrent first requests share one load.
 */
export class LlamaRuntime {
  readonly #options: LlamaRuntimeOptions;
  #llama: Promise<Llama> | undefined;
  readonly #models = new Map<string, Promise<LoadedLlamaModel>>();
  /** The sequence pools of the models loaded so far, by file name (read by /metrics). */
  readonly #loadedPools = new Map<string, BoundedPool<LlamaContextSequence>>();

  constructor(options: LlamaRuntimeOptions) {
    this.#options = options;
  }

  llama(): Promise<Llama> {
    this.#llama ??= getLlama({
      gpu: this.#options.gpu,
      // Prebuilt binaries ship in npm packages; never download or compile at run time.
      build: 'never',
      maxThreads: this.#options.threads,
      logLevel: 'error' as never,
      logger: () => {},
    });
    return this.#llama;
  }

  load(filePath: string): Promise<LoadedLlamaModel> {
    let loaded = this.#models.get(filePath);
    if (!loaded) {
      loaded = this.#loadModel(filePath);
      this.#models.set(filePath, loaded);
      // A failed load may succeed later (file fixed): do not cache the failure.
      loaded.catch(() => this.#models.delete(filePath));
    }
    return loaded;
  }

  async #loadModel(filePath: string): Promise<LoadedLlamaModel> {
    const llama = await this.llama();
    const model = await llama.loadModel({ modelPath: filePath });
    const context = await model.createContext({
      contextSize: Math.min(model.trainContextSize, this.#options.maxContextSize),
      sequences: this.#options.concurrency,
      threads: this.#options.threads,
    });
    const name = path.basename(filePath, '.gguf');
    const sequences = new BoundedPool(
      Array.from({ length: this.#options.concurrency }, () => context.getSequence()),
      { queueLimit: this.#options.queueLimit, projectLimit: this.#options.projectQueueLimit, maxWaitMs: this.#options.queueMaxWaitMs },
      { pool: `the local model ${name}`, queueSetting: 'LOCAL_QUEUE_LIMIT' },
    );
    this.#loadedPools.set(name, sequences);
    return { model, context, sequences };
  }

  /** Each loaded model's sequences: busy, waiting and refused generations. */
  usage(): { model: string; usage: PoolUsage }[] {
    return [...this.#loadedPools].map(([model, pool]) => ({ model, usage: pool.usage }));
  }

  async dispose(): Promise<void> {
    for (const loaded of this.#models.values()) {
      const { model, context } = await loaded.catch(() => ({ model: undefined, context: undefined }));
      await context?.dispose();
      await model?.dispose();
    }
    this.#models.clear();
    this.#loadedPools.clear();
    if (this.#llama) await (await this.#llama).dispose();
  }
}

import { getLlama, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from 'node-llama-cpp';
import path from 'node:path';
import { BoundedPool, type PoolUsage } from './bounded-pool.ts';
import type { LocalModelsConfig } from './settings.ts';

/** The local models' settings that concern GGUF generation (the rest are the folder and the compute pool). */
export type LlamaRuntimeOptions = Omit<LocalModelsConfig, 'modelsDir' | 'pool'>;

export interface LoadedLlamaModel {
  model: LlamaModel;
  context: LlamaContext;
  /** The context's sequences, each lent to one generation at a time. */
  sequences: BoundedPool<LlamaContextSequence>;
  /**
   * The most text, in UTF-8 bytes, the context can hold: its size times the longest token of the
   * vocabulary. A longer prompt cannot fit whatever its tokens, and is refused without tokenizing
   * it (which runs on the event loop: 3–6 µs a character with stories260K, a minute for 9 MB).
   */
  maxPromptBytes: number;
}

/** The longest token of a GGUF vocabulary, in bytes; undefined when the file does not list them. */
function longestTokenBytes(model: LlamaModel): number | undefined {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens as readonly string[] | undefined;
  if (!tokens?.length) return undefined;
  let longest = 0;
  for (const token of tokens) longest = Math.max(longest, Buffer.byteLength(token));
  return longest;
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
    return { model, context, sequences, maxPromptBytes: context.contextSize * (longestTokenBytes(model) ?? Number.POSITIVE_INFINITY) };
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

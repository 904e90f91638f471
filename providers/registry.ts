import type { ProviderSettings } from './settings.ts';
import type { ModelEntry } from '../schema/api/models.ts';
import { ModelCatalog } from './catalog.ts';
import { adapterFamilies, capabilityTable, type AdapterCapability, type AdapterFamily, type AdapterOf, type LocalRuntime } from './capabilities.ts';
import type { UpstreamConfig } from './http/upstream-config.ts';
import { createModelEntry } from './model-entry.ts';
import { observeAdapter, type ModelCallObserver } from './model-call-observer.ts';
import { discoverGgufModels } from './local/gguf-models.ts';
import { localProviderName } from './local/catalog.ts';
import { LlamaRuntime } from './local/llama-runtime.ts';
import { ComputePool, type PoolFunction, type PoolRunner, type TaskName } from './local/compute/compute-pool.ts';
import type { CallScope } from './spec/call-scope.ts';
import { pooledDocuments, type LocalChunker, type LocalDocuments } from './local/compute/pooled-documents.ts';
import type { PoolUsage } from './local/bounded-pool.ts';
import { listOpenAiCompatibleModels } from './openai/catalog.ts';
import { createOpenAiCompatible, type OpenAiCompatibleConfig } from './openai/provider.ts';
import { listWorkersAiModels } from './workers-ai/catalog.ts';
import { createWorkersAi } from './workers-ai/provider.ts';
import { listRealtimeModels } from './realtime/catalog.ts';
import { ProviderError } from './spec/provider-error.ts';
import type { ModelSpec } from './spec/model-spec.ts';

/** An upstream provider: which column of the table builds its adapters, and its plumbing. */
type UpstreamProvider = { kind: 'workers-ai'; config: UpstreamConfig } | { kind: 'openai-compatible'; config: OpenAiCompatibleConfig };

/** What a model's catalog entry says bounds a call; adapters add what their upstream's API bounds. */
function specOf(entry: ModelEntry): ModelSpec {
  return {
    provider: entry.provider,
    modelId: entry.id,
    upstreamModel: entry.upstream_model,
    limits: {
      contextWindow: entry.limits.context_window,
      maxInputsPerCall: null,
      maxInputTokens: entry.limits.max_input_tokens,
      maxRequestTokens: entry.limits.max_request_tokens,
    },
  };
}

/**
 * Resolves catalog models to adapters through the capability table: capability → family →
 * the builder of the model's provider kind. Adapters are built once per model and family.
 */
export class ProviderRegistry {
  readonly catalog: ModelCatalog;
  readonly #localFiles: Map<string, string>;
  readonly #llama: LlamaRuntime;
  /** Family → catalog id → adapter: two lookups and no allocation on the way to a built adapter. */
  readonly #adapters = new Map<AdapterFamily<unknown>, Map<string, unknown>>();
  readonly #upstreams: Map<string, UpstreamProvider>;
  readonly #local: LocalRuntime;
  /** Worker threads for every CPU-heavy offline model: nothing heavy runs on the request thread. */
  readonly compute: ComputePool;
  /** Offline parsing of PDF, DOCX, HTML, Markdown, text and images (OCR), on the compute pool. */
  readonly documents: LocalDocuments;
  /** Deterministic chunking; large inputs on the compute pool. */
  readonly chunker: LocalChunker;
  /** Sees every call into every adapter (metrics, traces). */
  readonly #observer: ModelCallObserver | undefined;

  constructor(options: { config: ProviderSettings; catalog: ModelCatalog; localFiles: Map<string, string>; observer?: ModelCallObserver | undefined }) {
    const { config } = options;
    this.#observer = options.observer;
    this.catalog = options.catalog;
    this.#localFiles = options.localFiles;
    this.#llama = new LlamaRuntime(config.local);
    this.compute = new ComputePool(config.local.pool);
    ({ documents: this.documents, chunker: this.chunker } = pooledDocuments(this.compute));
    this.#local = {
      llama: this.#llama,
      fileOf: (entry) => this.#localFile(entry),
      pooled: this.#pooled,
    };
    const timeoutMs = config.upstreamTimeoutMs;
    this.#upstreams = new Map<string, UpstreamProvider>(
      config.openAiCompatibleUpstreams.map((upstream) => [upstream.name, { kind: 'openai-compatible', config: createOpenAiCompatible({ ...upstream, timeoutMs }) }]),
    );
    if (config.workersAi) {
      const workersAi = createWorkersAi({ ...config.workersAi, timeoutMs });
      this.#upstreams.set(workersAi.provider, { kind: 'workers-ai', config: workersAi });
    }
    for (const family of adapterFamilies) this.#adapters.set(family, new Map());
  }

  /**
   * The adapter that serves `capability` for the model `id` (a catalog id, an alias, or a bare
   * name one provider serves). The caller has checked the model has the capability.
   */
  resolve<C extends AdapterCapability>(capability: C, id: string): AdapterOf<C> {
    const family = capabilityTable[capability].adapters as AdapterFamily<AdapterOf<C>>;
    const built = this.#adapters.get(family)!;
    const adapter = built.get(id) as AdapterOf<C> | undefined;
    return adapter ?? this.#build(capability, family, id, built);
  }

  #build<A>(capability: AdapterCapability, family: AdapterFamily<A>, id: string, built: Map<string, unknown>): A {
    const entry = this.catalog.find(id);
    if (!entry) throw new ProviderError('invalid_request', `model: "${id}" is not in this deployment's catalog`, { param: 'model' });
    const cached = built.get(entry.id) as A | undefined;
    if (cached) return cached;
    const spec = specOf(entry);
    let adapter: A;
    if (entry.provider === localProviderName) {
      if (!family.local) throw new ProviderError('invalid_request', `model: ${entry.id} has no ${capability} adapter`, { param: 'model' });
      adapter = family.local(spec, this.#local, entry);
    } else {
      const upstream = this.#upstreams.get(entry.provider);
      const built =
        upstream?.kind === 'openai-compatible'
          ? family['openai-compatible']?.(spec, upstream.config, entry, this.#local)
          : upstream && family['workers-ai']?.(spec, upstream.config, entry);
      if (!built) throw new ProviderError('invalid_request', `model: ${entry.id} has no ${capability} adapter`, { param: 'model' });
      adapter = built;
    }
    if (this.#observer) adapter = observeAdapter(adapter as object, { provider: entry.provider, model: entry.id }, this.#observer) as A;
    built.set(entry.id, adapter);
    if (id !== entry.id) built.set(id, adapter);
    return adapter;
  }

  /** A request as a compute-pool task: the thread gets its input, the pool keeps its scope. */
  readonly #pooled: PoolRunner = (task: TaskName | PoolFunction<unknown, unknown>, request: CallScope, param: string) => {
    const { signal, projectId, ...input } = request;
    return this.compute.run(task as TaskName, input as never, { signal, projectId, param });
  };

  #localFile(entry: ModelEntry): string {
    const filePath = this.#localFiles.get(entry.id);
    if (!filePath) throw new Error(`No GGUF file behind ${entry.id}`);
    return filePath;
  }

  /**
   * Admits a request of a route whose work is always local (`heavyWork: 'always'`) before its body
   * is read, or throws its 503 with Retry-After: the project has LOCAL_PROJECT_QUEUE_LIMIT such
   * requests in flight, or its share of the compute pool (or the pool's line) is full. The request
   * pipeline calls it after authentication and calls the returned function when the answer ends.
   */
  admitHeavyWork(projectId: string): () => void {
    return this.compute.admit(projectId);
  }

  /** The compute pool's threads and each loaded GGUF model's sequences, as /metrics reads them. */
  poolUsage(): { pool: string; usage: PoolUsage }[] {
    return [
      { pool: 'compute', usage: this.compute.usage },
      ...this.#llama.usage().map(({ model, usage }) => ({ pool: `llama:${model}`, usage })),
    ];
  }

  async close(): Promise<void> {
    await this.compute.close();
    await this.#llama.dispose();
  }
}

/** Builds the catalog and the adapters from configuration: local models always, upstreams when configured. */
export async function loadProviders(config: ProviderSettings, observer?: ModelCallObserver): Promise<ProviderRegistry> {
  const local = await discoverGgufModels(config.local.modelsDir);
  const catalog = new ModelCatalog([
    ...local.map((model) => model.entry),
    ...adapterFamilies.flatMap((family) => (family.localModels ?? []).map(createModelEntry)),
    ...config.openAiCompatibleUpstreams.flatMap(listOpenAiCompatibleModels),
    ...(config.workersAi ? listWorkersAiModels(config.workersAi) : []),
    ...(config.realtime ? listRealtimeModels(config.realtime) : []),
  ], config.modelAliases);
  for (const [alias, target] of Object.entries(config.modelAliases)) {
    if (!catalog.find(target)) throw new Error(`MODEL_ALIASES: "${alias}" points at ${target}, which this deployment does not serve`);
  }
  return new ProviderRegistry({ config, catalog, localFiles: new Map(local.map((model) => [model.entry.id, model.filePath])), observer });
}

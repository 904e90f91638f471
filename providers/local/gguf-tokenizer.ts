import type { ModelSpec, ModelLimits } from '../spec/model-spec.ts';
import type { Token, TokenizeRequest, TokenizerModel } from '../spec/tokenizer.ts';

/** Tokenizes with a GGUF file's vocabulary on the compute pool (gguf-vocabulary.ts). */
export type GgufPool = (filePath: string, request: TokenizeRequest) => Promise<Token[]>;

/** A GGUF model's own tokenizer: its vocabulary, loaded without its weights on a compute-pool thread. */
export class GgufTokenizer implements TokenizerModel {
  readonly provider: string;
  readonly modelId: string;
  readonly upstreamModel: string;
  readonly limits: ModelLimits;
  readonly #pool: GgufPool;
  readonly #filePath: string;

  constructor(model: ModelSpec, options: { pool: GgufPool; filePath: string }) {
    ({ provider: this.provider, modelId: this.modelId, upstreamModel: this.upstreamModel, limits: this.limits } = model);
    this.#pool = options.pool;
    this.#filePath = options.filePath;
  }

  tokenize(request: TokenizeRequest): Promise<Token[]> {
    return this.#pool(this.#filePath, request);
  }
}

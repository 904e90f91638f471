import { getEncodingNameForModel, type TiktokenModel } from 'js-tiktoken/lite';
import type { EncodingName } from './tiktoken-encodings.ts';
import type { UpstreamConfig } from '../http/upstream-config.ts';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { Token, TokenizeRequest, TokenizerModel } from '../spec/tokenizer.ts';

/** Tokenizes with an encoding on the compute pool. */
export type TiktokenPool = (encoding: EncodingName, request: TokenizeRequest) => Promise<Token[]>;

/** OpenAI's tokenizer (tiktoken's encodings) for the models OpenAI names, offline. */
export class TiktokenTokenizer extends UpstreamModel implements TokenizerModel {
  readonly #encoding: EncodingName;
  readonly #pool: TiktokenPool;

  /** `pool` runs the encoding on a compute-pool thread (tiktoken-encodings.ts says why). */
  constructor(model: ModelSpec, config: UpstreamConfig, pool: TiktokenPool) {
    super(model, config);
    this.#pool = pool;
    try {
      this.#encoding = getEncodingNameForModel(model.upstreamModel as TiktokenModel);
    } catch {
      throw new ProviderError('invalid_request', `model: ${model.modelId} has no tokenizer this service knows (tiktoken names no encoding for ${model.upstreamModel})`, {
        param: 'model',
      });
    }
  }

  tokenize(request: TokenizeRequest): Promise<Token[]> {
    return this.#pool(this.#encoding, request);
  }
}

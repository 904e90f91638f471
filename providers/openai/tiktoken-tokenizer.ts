import { getEncodingNameForModel, Tiktoken, type TiktokenModel } from 'js-tiktoken/lite';
import type { Token } from '../../schema/api/tokenize.ts';
import type { UpstreamConfig } from '../http/upstream-config.ts';
import { UpstreamModel } from '../http/upstream-model.ts';
import { poolFunction, type PoolRunner } from '../local/compute/compute-pool.ts';
import type { CallScope } from '../spec/call-scope.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import { ProviderError } from '../spec/provider-error.ts';

type EncodingName = ReturnType<typeof getEncodingNameForModel>;

/**
 * tiktoken's encodings run on a compute-pool thread, never on the event loop: loading o200k_base
 * takes ~0.7 s of CPU, and byte-pair merging of one long run of letters grows with the square of
 * its length. The rank tables ship inside the package; each loads on first use in its thread.
 */
const ranksOf: Record<EncodingName, () => Promise<{ default: ConstructorParameters<typeof Tiktoken>[0] }>> = {
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
  p50k_base: () => import('js-tiktoken/ranks/p50k_base'),
  p50k_edit: () => import('js-tiktoken/ranks/p50k_edit'),
  r50k_base: () => import('js-tiktoken/ranks/r50k_base'),
  gpt2: () => import('js-tiktoken/ranks/gpt2'),
};

const encodings = new Map<EncodingName, Promise<Tiktoken>>();

/** Runs in a pool thread (see `onPool`). */
export async function tiktokenTokens({ encoding: name, text }: { encoding: EncodingName; text: string }): Promise<Token[]> {
  let loading = encodings.get(name);
  if (!loading) {
    loading = ranksOf[name]().then((ranks) => new Tiktoken(ranks.default));
    encodings.set(name, loading);
  }
  const encoding = await loading;
  // Special-token markup (`<|endoftext|>`) is plain text here, as the API reads a prompt.
  return encoding.encode(text, [], []).map((id) => ({ id, text: encoding.decode([id]) }));
}

const onPool = poolFunction(import.meta.url, tiktokenTokens);

/** OpenAI's tokenizer (tiktoken's encodings) for the models OpenAI names, offline. */
export class TiktokenTokenizer extends UpstreamModel {
  readonly #encoding: EncodingName;
  readonly #pooled: PoolRunner;
  /** OpenAI's chat format: three tokens framing each message plus its role's, three priming the reply. */
  readonly chatFraming = { perMessage: 4, perReply: 3 };

  constructor(model: ModelSpec, config: UpstreamConfig, pooled: PoolRunner) {
    super(model, config);
    this.#pooled = pooled;
    try {
      this.#encoding = getEncodingNameForModel(model.upstreamModel as TiktokenModel);
    } catch {
      throw new ProviderError('invalid_request', `model: ${model.modelId} has no tokenizer this service knows (tiktoken names no encoding for ${model.upstreamModel})`, {
        param: 'model',
      });
    }
  }

  tokenize({ text, ...scope }: { text: string } & CallScope): Promise<Token[]> {
    return this.#pooled(onPool, { encoding: this.#encoding, text, ...scope }, 'input');
  }
}

import { Tiktoken, getEncodingNameForModel, type TiktokenModel } from 'js-tiktoken/lite';
import type { UpstreamConfig } from '../http/upstream-config.ts';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { Token, TokenizeRequest, TokenizerModel } from '../spec/tokenizer.ts';

type EncodingName = ReturnType<typeof getEncodingNameForModel>;

/** The encodings' rank tables ship inside the package: loaded on first use, never downloaded. */
const ranksOf: Record<EncodingName, () => Promise<{ default: ConstructorParameters<typeof Tiktoken>[0] }>> = {
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
  p50k_base: () => import('js-tiktoken/ranks/p50k_base'),
  p50k_edit: () => import('js-tiktoken/ranks/p50k_edit'),
  r50k_base: () => import('js-tiktoken/ranks/r50k_base'),
  gpt2: () => import('js-tiktoken/ranks/gpt2'),
};

const encodings = new Map<EncodingName, Promise<Tiktoken>>();

function encodingNamed(name: EncodingName): Promise<Tiktoken> {
  let encoding = encodings.get(name);
  if (!encoding) {
    encoding = ranksOf[name]().then((ranks) => new Tiktoken(ranks.default));
    encodings.set(name, encoding);
  }
  return encoding;
}

/** OpenAI's tokenizer (tiktoken's encodings) for the models OpenAI names, offline. */
export class TiktokenTokenizer extends UpstreamModel implements TokenizerModel {
  readonly #encoding: EncodingName;

  constructor(model: ModelSpec, config: UpstreamConfig) {
    super(model, config);
    try {
      this.#encoding = getEncodingNameForModel(model.upstreamModel as TiktokenModel);
    } catch {
      throw new ProviderError('invalid_request', `model: ${model.modelId} has no tokenizer this service knows (tiktoken names no encoding for ${model.upstreamModel})`, {
        param: 'model',
      });
    }
  }

  async tokenize({ text }: TokenizeRequest): Promise<Token[]> {
    const encoding = await encodingNamed(this.#encoding);
    // Special-token markup (`<|endoftext|>`) is plain text here, as the API reads a prompt.
    return encoding.encode(text, [], []).map((id) => ({ id, text: encoding.decode([id]) }));
  }
}

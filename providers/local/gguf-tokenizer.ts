import type { ModelSpec, ModelLimits } from '../spec/model-spec.ts';
import type { Token } from '../../schema/api/tokenize.ts';
import type { LlamaRuntime } from './llama-runtime.ts';

/**
 * A GGUF model's own tokenizer, through the model node-llama-cpp has loaded for generation (loaded
 * on first use if not yet). Special-token markup in the text counts as plain text, as in a prompt.
 */
export class GgufTokenizer implements ModelSpec {
  readonly provider: string;
  readonly modelId: string;
  readonly upstreamModel: string;
  readonly limits: ModelLimits;
  readonly #runtime: LlamaRuntime;
  readonly #filePath: string;
  /** A base model's prompt is its turns' text joined by newlines (see `renderPlainPrompt`): one token between turns. */
  readonly chatFraming = { perMessage: 1, perReply: 0 };

  constructor(model: ModelSpec, options: { runtime: LlamaRuntime; filePath: string }) {
    ({ provider: this.provider, modelId: this.modelId, upstreamModel: this.upstreamModel, limits: this.limits } = model);
    this.#runtime = options.runtime;
    this.#filePath = options.filePath;
  }

  async tokenize({ text }: { text: string }): Promise<Token[]> {
    const { model } = await this.#runtime.load(this.#filePath);
    const ids = model.tokenize(text);
    // The token before decides whether this one's leading space is text (` upon`) or not.
    return ids.map((id, index) => ({ id, text: model.detokenize([id], false, index === 0 ? undefined : ids.slice(index - 1, index)) }));
  }
}

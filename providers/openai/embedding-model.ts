import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import type { UpstreamConfig } from '../http/upstream-config.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { EmbeddingModel, EmbeddingRequest, EmbeddingResult } from '../spec/embeddings.ts';

const embeddingsResponseSchema = z.object({
  data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number() }).nullish(),
});

/** OpenAI's documented bound on the inputs of one `/embeddings` call. */
const maxInputsPerCall = 2048;

/** `/embeddings` of an OpenAI-compatible upstream, asked for floats (we encode base64 ourselves). */
export class OpenAiCompatibleEmbeddingModel extends UpstreamModel implements EmbeddingModel {
  readonly #embeddings = this.endpoint('embeddings');

  constructor(model: ModelSpec, config: UpstreamConfig) {
    super(model, config, { maxInputsPerCall });
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const body = {
      model: this.upstreamModel,
      input: request.texts,
      encoding_format: 'float',
      ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      ...(request.user === undefined ? {} : { user: request.user }),
    };
    const answer = await this.#embeddings.exchange(body, request.signal, embeddingsResponseSchema, 'unexpected embeddings');
    if (answer.data.length !== request.texts.length) throw new ProviderError('bad_gateway', `${this.config.name} sent unexpected embeddings`);
    const vectors = [...answer.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    const reported = answer.usage?.prompt_tokens;
    return { vectors, ...(typeof reported === 'number' ? { inputTokens: reported } : estimatedInput(request.texts)) };
  }
}

import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import type { EmbeddingModel, EmbeddingRequest, EmbeddingResult } from '../spec/embeddings.ts';
import { ProviderError } from '../spec/provider-error.ts';

const resultSchema = z.object({ result: z.object({ data: z.array(z.array(z.number())) }) });
/** The run endpoint takes 1–100 texts per call: longer lists go in several calls. */
const textsPerRunCall = 100;

/** `@cf/baai/bge-*` embeddings on the Workers AI run endpoint (`{text: [...]}` → `result.data`). */
export class WorkersAiEmbeddingModel extends UpstreamModel implements EmbeddingModel {
  readonly #run = this.endpoint(this.upstreamModel);

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    if (request.dimensions !== undefined) {
      throw new ProviderError('invalid_request', `dimensions: ${this.upstreamModel} has a fixed size`, { param: 'dimensions' });
    }
    const vectors: number[][] = [];
    for (let start = 0; start < request.texts.length; start += textsPerRunCall) {
      const texts = request.texts.slice(start, start + textsPerRunCall);
      const { result } = await this.#run.exchange({ text: texts }, request.signal, resultSchema, 'unexpected embeddings');
      if (result.data.length !== texts.length) throw new ProviderError('bad_gateway', `${this.config.name} sent unexpected embeddings`);
      vectors.push(...result.data);
    }
    return { vectors, ...estimatedInput(request.texts) };
  }
}

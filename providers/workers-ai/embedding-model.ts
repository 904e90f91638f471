import { z } from 'zod';
import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens, type EmbeddingModel, type EmbeddingRequest, type EmbeddingResult } from '../spec/embeddings.ts';
import { ProviderError } from '../spec/provider-error.ts';

const resultSchema = z.object({ result: z.object({ data: z.array(z.array(z.number())) }) });
/** The run endpoint takes 1–100 texts per call. */
const maxTextsPerCall = 100;

/** `@cf/baai/bge-*` embeddings on the Workers AI run endpoint (`{text: [...]}` → `result.data`). */
export class WorkersAiEmbeddingModel implements EmbeddingModel {
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    if (request.dimensions !== undefined) {
      throw new ProviderError('invalid_request', `dimensions: ${upstreamModel} has a fixed size`, { param: 'dimensions' });
    }
    const vectors: number[][] = [];
    for (let start = 0; start < request.texts.length; start += maxTextsPerCall) {
      const texts = request.texts.slice(start, start + maxTextsPerCall);
      const call = {
        ...workersAiRunEndpoint(config, upstreamModel),
        body: { text: texts },
        signal: request.signal,
        timeoutMs,
        upstreamName: 'Workers AI',
      };
      const parsed = resultSchema.safeParse(await exchangeJson(call));
      if (!parsed.success || parsed.data.result.data.length !== texts.length) throw new ProviderError('bad_gateway', 'Workers AI sent unexpected embeddings');
      vectors.push(...parsed.data.result.data);
    }
    return { vectors, inputTokens: estimateTokens(request.texts) };
  }
}

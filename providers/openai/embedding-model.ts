import { z } from 'zod';
import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { type UpstreamRequest, exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens, type EmbeddingModel, type EmbeddingRequest, type EmbeddingResult } from '../spec/embeddings.ts';
import { ProviderError } from '../spec/provider-error.ts';

const embeddingsResponseSchema = z.object({
  data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number() }).nullish(),
});

/** `/embeddings` of an OpenAI-compatible upstream, asked for floats (we encode base64 ourselves). */
export class OpenAiCompatibleEmbeddingModel implements EmbeddingModel {
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    const call: UpstreamRequest = {
      ...upstreamEndpoint(upstream, `embeddings`),
      body: {
        model: upstreamModel,
        input: request.texts,
        encoding_format: 'float',
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        ...(request.user === undefined ? {} : { user: request.user }),
      },
      signal: request.signal,
      timeoutMs,
      upstreamName: `Upstream "${upstream.name}"`,
    };
    const parsed = embeddingsResponseSchema.safeParse(await exchangeJson(call));
    if (!parsed.success || parsed.data.data.length !== request.texts.length) {
      throw new ProviderError('bad_gateway', `${call.upstreamName} sent unexpected embeddings`);
    }
    const vectors = [...parsed.data.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    return { vectors, inputTokens: parsed.data.usage?.prompt_tokens ?? estimateTokens(request.texts) };
  }
}

import { z } from 'zod';
import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { type UpstreamRequest, exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens } from '../spec/embeddings.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { RerankModel, RerankRequest, RerankResult } from '../spec/rerank.ts';

const rerankResponseSchema = z.object({
  results: z.array(z.object({ index: z.number(), relevance_score: z.number() })),
  usage: z.object({ total_tokens: z.number() }).nullish(),
});

/** The Cohere-style `/rerank` that gateways and servers like vLLM expose beside the OpenAI routes. */
export class OpenAiCompatibleRerankModel implements RerankModel {
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async rerank(request: RerankRequest): Promise<RerankResult> {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    const call: UpstreamRequest = {
      ...upstreamEndpoint(upstream, `rerank`),
      body: { model: upstreamModel, query: request.query, documents: request.documents, top_n: request.topN },
      signal: request.signal,
      timeoutMs,
      upstreamName: `Upstream "${upstream.name}"`,
    };
    const parsed = rerankResponseSchema.safeParse(await exchangeJson(call));
    if (!parsed.success) throw new ProviderError('bad_gateway', `${call.upstreamName} sent an unexpected rerank result`);
    const results = parsed.data.results
      .filter((item) => item.index >= 0 && item.index < request.documents.length)
      .map((item) => ({ index: item.index, score: item.relevance_score }))
      .sort((left, right) => right.score - left.score)
      .slice(0, request.topN);
    return {
      results,
      method: `${upstreamModel} relevance (upstream rerank)`,
      inputTokens: parsed.data.usage?.total_tokens ?? estimateTokens([request.query, ...request.documents]),
    };
  }
}

import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import { bestFirst } from '../common/ranking.ts';
import type { RerankModel, RerankRequest, RerankResult } from '../spec/rerank.ts';

const rerankResponseSchema = z.object({
  results: z.array(z.object({ index: z.number(), relevance_score: z.number() })),
  usage: z.object({ total_tokens: z.number() }).nullish(),
});

/** The Cohere-style `/rerank` that gateways and servers like vLLM expose beside the OpenAI routes. */
export class OpenAiCompatibleRerankModel extends UpstreamModel implements RerankModel {
  readonly #rerank = this.endpoint('rerank');

  async rerank(request: RerankRequest): Promise<RerankResult> {
    const body = { model: this.upstreamModel, query: request.query, documents: request.documents, top_n: request.topN };
    const answer = await this.#rerank.exchange(body, request.signal, rerankResponseSchema, 'an unexpected rerank result');
    const reported = answer.usage?.total_tokens;
    return {
      results: bestFirst(answer.results.map((item) => ({ index: item.index, score: item.relevance_score })), request),
      method: `${this.upstreamModel} relevance (upstream rerank)`,
      ...(typeof reported === 'number' ? { inputTokens: reported } : estimatedInput([request.query, ...request.documents])),
    };
  }
}

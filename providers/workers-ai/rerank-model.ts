import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import { bestFirst } from '../common/ranking.ts';
import type { RerankModel, RerankRequest, RerankResult } from '../spec/rerank.ts';

const resultSchema = z.object({ result: z.object({ response: z.array(z.object({ id: z.number(), score: z.number() })) }) });

/** `@cf/baai/bge-reranker-base`: `{query, contexts: [{text}], top_k}` → `[{id, score}]`. */
export class WorkersAiRerankModel extends UpstreamModel implements RerankModel {
  readonly #run = this.endpoint(this.upstreamModel);

  async rerank(request: RerankRequest): Promise<RerankResult> {
    const body = { query: request.query, contexts: request.documents.map((text) => ({ text })), top_k: request.topN };
    const { result } = await this.#run.exchange(body, request.signal, resultSchema, 'an unexpected rerank result');
    return {
      results: bestFirst(result.response.map((item) => ({ index: item.id, score: item.score })), request),
      method: `${this.upstreamModel} cross-encoder relevance`,
      ...estimatedInput([request.query, ...request.documents]),
    };
  }
}

import { z } from 'zod';
import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens } from '../spec/embeddings.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { RerankModel, RerankRequest, RerankResult } from '../spec/rerank.ts';

const resultSchema = z.object({ result: z.object({ response: z.array(z.object({ id: z.number(), score: z.number() })) }) });

/** `@cf/baai/bge-reranker-base`: `{query, contexts: [{text}], top_k}` → `[{id, score}]`, best first. */
export class WorkersAiRerankModel implements RerankModel {
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async rerank(request: RerankRequest): Promise<RerankResult> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    const call = {
      ...workersAiRunEndpoint(config, upstreamModel),
      body: { query: request.query, contexts: request.documents.map((text) => ({ text })), top_k: request.topN },
      signal: request.signal,
      timeoutMs,
      upstreamName: 'Workers AI',
    };
    const parsed = resultSchema.safeParse(await exchangeJson(call));
    if (!parsed.success) throw new ProviderError('bad_gateway', 'Workers AI sent an unexpected rerank result');
    const results = parsed.data.result.response
      .filter((item) => item.id >= 0 && item.id < request.documents.length)
      .map((item) => ({ index: item.id, score: item.score }))
      .sort((left, right) => right.score - left.score)
      .slice(0, request.topN);
    return { results, method: `${upstreamModel} cross-encoder relevance`, inputTokens: estimateTokens([request.query, ...request.documents]) };
  }
}

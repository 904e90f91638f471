import type { RerankRequest } from '../spec/rerank.ts';

/** An upstream's scores as an answer: indexes of real documents only, best first, at most topN. */
export function bestFirst(scored: { index: number; score: number }[], request: Pick<RerankRequest, 'documents' | 'topN'>): { index: number; score: number }[] {
  return scored
    .filter((item) => item.index >= 0 && item.index < request.documents.length)
    .sort((left, right) => right.score - left.score)
    .slice(0, request.topN);
}

import { estimatedInput } from '../common/token-estimates.ts';
import { cosineSimilarity } from './cosine-similarity.ts';
import type { Unscoped } from '../spec/call-scope.ts';
import type { RerankRequest, RerankResult } from '../spec/rerank.ts';
import type { TextEncoder } from './sentence-encoder.ts';

const k1 = 1.2;
const b = 0.75;
/** Shares of the final score: meaning (embedding cosine) and shared words (BM25); they add up to 1. */
const semanticWeight = 0.7;
const keywordWeight = 0.3;

/** How every answer describes its scores, as the code computes them. */
const scoringMethod = `${keywordWeight} × BM25 (normalised to the best document) + ${semanticWeight} × cosine of Universal Sentence Encoder embeddings (negative cosines count as 0)`;

function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Okapi BM25 of the query against each document, over the given documents only. */
export function bm25Scores(query: string, documents: string[]): number[] {
  const docs = documents.map(tokenize);
  const averageLength = docs.reduce((sum, doc) => sum + doc.length, 0) / Math.max(1, docs.length);
  const documentFrequency = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const terms = [...new Set(tokenize(query))];
  return docs.map((doc) => {
    const frequency = new Map<string, number>();
    for (const term of doc) frequency.set(term, (frequency.get(term) ?? 0) + 1);
    return terms.reduce((score, term) => {
      const tf = frequency.get(term) ?? 0;
      if (tf === 0) return score;
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      return score + (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * doc.length) / (averageLength || 1)));
    }, 0);
  });
}

/**
 * Offline rerank: every document is scored, none is filtered out first. Its BM25 over the given
 * documents (normalised to [0,1] by the best match) is blended with the embedding cosine of
 * query and document (clamped to [0,1]).
 */
export class Bm25SemanticReranker {
  readonly #encoder: TextEncoder;

  constructor(encoder: TextEncoder) {
    this.#encoder = encoder;
  }

  async rerank(request: Unscoped<RerankRequest> & { signal?: AbortSignal | undefined }): Promise<RerankResult> {
    const lexical = bm25Scores(request.query, request.documents);
    const best = Math.max(...lexical, 0);
    const { vectors } = await this.#encoder.embed({ texts: [request.query, ...request.documents], signal: request.signal });
    const [queryVector, ...documentVectors] = vectors;
    const scored = documentVectors.map((vector, index) => {
      const semantic = Math.max(0, cosineSimilarity(queryVector!, vector));
      const keyword = best > 0 ? lexical[index]! / best : 0;
      return { index, score: semanticWeight * semantic + keywordWeight * keyword };
    });
    scored.sort((left, right) => right.score - left.score || left.index - right.index);
    return {
      results: scored.slice(0, request.topN),
      method: scoringMethod,
      ...estimatedInput([request.query, ...request.documents]),
    };
  }
}

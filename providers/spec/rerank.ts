/** The provider-side contract for reranking. */
export interface RerankRequest {
  query: string;
  documents: string[];
  topN: number;
  signal?: AbortSignal | undefined;
}

export interface RerankResult {
  /** Best first, at most topN. */
  results: { index: number; score: number }[];
  /** How the scores were made, for the caller's judgement. */
  method: string;
  inputTokens: number;
}

export interface RerankModel {
  rerank(request: RerankRequest): Promise<RerankResult>;
}

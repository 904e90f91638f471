import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

/** The provider-side contract for reranking. */
export interface RerankRequest extends CallScope {
  query: string;
  documents: string[];
  topN: number;
}

export interface RerankResult {
  /** Best first, at most topN. */
  results: { index: number; score: number }[];
  /** How the scores were made, for the caller's judgement. */
  method: string;
  inputTokens: number;
  /** The service counted `inputTokens` itself (the model reported none): about four characters a token. */
  estimated?: boolean;
}

export interface RerankModel extends ModelSpec {
  rerank(request: RerankRequest): Promise<RerankResult>;
}

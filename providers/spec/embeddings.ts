import type { CallScope } from './call-scope.ts';

/** The provider-side contract for embeddings. */
export interface EmbeddingRequest extends CallScope {
  texts: string[];
  /** Shorter vectors, where the model supports them. */
  dimensions?: number | undefined;
  /** The caller's end-user id, passed on to upstreams for their abuse monitoring. */
  user?: string | undefined;
}

export interface EmbeddingResult {
  /** One vector per text; local models answer float32 views into one buffer moved from their thread. */
  vectors: (number[] | Float32Array)[];
  /** Input tokens as the model counts them (estimated where it does not say). */
  inputTokens: number;
}

export interface EmbeddingModel {
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
}

/** About four characters a token, for models that do not report usage. */
export function estimateTokens(texts: string[]): number {
  return texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
}

export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    normA += a[index]! * a[index]!;
    normB += b[index]! * b[index]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

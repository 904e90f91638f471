import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

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
  /** The service counted `inputTokens` itself (the model reported none): about four characters a token. */
  estimated?: boolean;
}

export interface EmbeddingModel extends ModelSpec {
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
}

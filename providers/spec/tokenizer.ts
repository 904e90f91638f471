import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

/** The provider-side contract for tokenization: the tokens a model reads a text as. */
export interface TokenizeRequest extends CallScope {
  text: string;
}

export interface Token {
  id: number;
  /** The token's own text; a piece of a multi-byte character reads as U+FFFD. */
  text: string;
}

export interface TokenizerModel extends ModelSpec {
  tokenize(request: TokenizeRequest): Promise<Token[]>;
}

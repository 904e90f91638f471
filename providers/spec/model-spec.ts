/** What bounds one call into a model; the registry takes them from the catalog entry. */
export interface ModelLimits {
  /** Tokens the model reads and writes at once; null where nobody has said. */
  contextWindow: number | null;
  /** Most inputs (texts, documents) one call takes; null: the adapter has no limit of its own. */
  maxInputsPerCall: number | null;
  /** Longest single input this service accepts, in estimated tokens; null: the upstream decides. */
  maxInputTokens: number | null;
  /** Most input of one request, all inputs together, in estimated tokens; null: the upstream decides. */
  maxRequestTokens: number | null;
}

/** Which model an adapter runs: every adapter of every capability carries it. */
export interface ModelSpec {
  /** The catalog's provider name: `local`, `workers-ai`, or an upstream's configured name. */
  readonly provider: string;
  /** The catalog id, `provider:model`. */
  readonly modelId: string;
  /** The name the provider itself gives the model. */
  readonly upstreamModel: string;
  readonly limits: ModelLimits;
}

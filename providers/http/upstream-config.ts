/**
 * An upstream provider's plumbing, computed once from its settings (createOpenAiCompatible,
 * createWorkersAi): every adapter of that provider shares it and resolves its endpoint from it
 * once, at construction, so a call only adds its body and signal.
 */
export interface UpstreamConfig {
  /** The catalog's provider name (the prefix of its model ids). */
  provider: string;
  /** Names the upstream in error messages. */
  name: string;
  /** Time allowed until the upstream's response headers arrive, and between two body chunks. */
  timeoutMs: number;
  /** The URL of a path under the provider's base. */
  url(path: string): string;
  /** The headers every call carries (credentials); the same object each time. */
  headers(): Record<string, string>;
}

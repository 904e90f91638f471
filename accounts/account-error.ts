/** The API error codes an accounts refusal answers with (router/errors.ts maps them to statuses). */
export type AccountErrorCode = 'bad_request' | 'insufficient_tokens' | 'rate_limited' | 'service_unavailable';

export interface AccountErrorOptions {
  /** The request field at fault, dotted. */
  param?: string | undefined;
  details?: unknown;
  /** OpenAI's `code` for this refusal when it differs from the code's usual one. */
  openAiCode?: string | undefined;
  /** Headers the answer carries: Retry-After, the rate-limit budgets. */
  headers?: Record<string, string> | undefined;
}

/**
 * A refusal by the accounts domain (no balance, over a per-minute budget, too many unseen keys at
 * once). The domain knows nothing of tRPC or HTTP; the tRPC core describes it like its own errors.
 */
export class AccountError extends Error {
  override name = 'AccountError';
  readonly code: AccountErrorCode;
  /** What the answer carries beside its code and message. */
  readonly options: AccountErrorOptions;

  constructor(code: AccountErrorCode, message: string, options: AccountErrorOptions = {}) {
    super(message);
    this.code = code;
    this.options = options;
  }
}

export interface LimitsConfig {
  /** Off: no rate limits and no token ledger (benchmarks compare both). */
  enforce: boolean;
  requestsPerMinute: number;
  tokensPerMinute: number;
  redisUrl: string | undefined;
  ledger: { leaseFraction: number; flushIntervalMs: number; idleReturnMs: number; reclaimIntervalMs: number };
}

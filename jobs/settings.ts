export interface OperationsConfig {
  runWorkers: boolean;
  concurrency: number;
  timeoutSeconds: number;
  retryLimit: number;
  retryDelaySeconds: number;
  heartbeatSeconds: number;
  superviseSeconds: number;
}

export interface WebhooksConfig {
  maxAttempts: number;
  retryDelaySeconds: number;
  timeoutMs: number;
  allowPrivateTargets: boolean;
}

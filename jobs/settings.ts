export interface OperationsConfig {
  runWorkers: boolean;
  concurrency: number;
  /** Of those, what one project's operations take while another project's wait. */
  projectConcurrency: number;
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
  /** Deliveries one process sends at once. */
  concurrency: number;
  /** Of those, at most this many for one project: a project's slow endpoints slow only its own deliveries. */
  projectConcurrency: number;
}

export interface WorkersAiConfig {
  accountId: string;
  apiToken: string;
  baseUrl: string;
  models: string[] | undefined;
}

/** The REST endpoint that runs one Workers AI model, and its bearer header. */
export function workersAiRunEndpoint(config: WorkersAiConfig, upstreamModel: string): { url: string; headers: Record<string, string> } {
  return {
    url: `${config.baseUrl.replace(/\/+$/, '')}/accounts/${encodeURIComponent(config.accountId)}/ai/run/${upstreamModel}`,
    headers: { authorization: `Bearer ${config.apiToken}` },
  };
}

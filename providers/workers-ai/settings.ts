export const workersAiProviderName = 'workers-ai';

export interface WorkersAiConfig {
  accountId: string;
  apiToken: string;
  baseUrl: string;
  models: string[] | undefined;
}

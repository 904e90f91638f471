import type { UpstreamConfig } from '../http/upstream-config.ts';
import { workersAiProviderName, type WorkersAiConfig } from './settings.ts';

/**
 * Workers AI's plumbing: a path is a model name (`@cf/meta/...`), run at the account's REST
 * endpoint unencoded, as Cloudflare names it.
 */
export function createWorkersAi(settings: WorkersAiConfig & { timeoutMs: number }): UpstreamConfig {
  const run = `${settings.baseUrl.replace(/\/+$/, '')}/accounts/${encodeURIComponent(settings.accountId)}/ai/run/`;
  const headers: Record<string, string> = Object.freeze({ authorization: `Bearer ${settings.apiToken}` });
  return {
    provider: workersAiProviderName,
    name: 'Workers AI',
    timeoutMs: settings.timeoutMs,
    url: (model) => run + model,
    headers: () => headers,
  };
}

import type { UpstreamConfig } from '../http/upstream-config.ts';
import type { TokenLimitField } from './settings.ts';

export interface OpenAiCompatibleSettings {
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  tokenLimitField: TokenLimitField;
}

/** An OpenAI-compatible upstream's plumbing, and how its chat requests name the output token limit. */
export interface OpenAiCompatibleConfig extends UpstreamConfig {
  tokenLimitField: TokenLimitField;
}

/** An OpenAI-compatible upstream's plumbing: paths under its base URL, its bearer key if any. */
export function createOpenAiCompatible(settings: OpenAiCompatibleSettings): OpenAiCompatibleConfig {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
  Object.freeze(headers);
  return {
    provider: settings.name,
    name: `Upstream "${settings.name}"`,
    timeoutMs: settings.timeoutMs,
    url: (path) => `${base}/${path.replace(/^\/+/, '')}`,
    headers: () => headers,
    tokenLimitField: settings.tokenLimitField,
  };
}

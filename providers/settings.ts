import type { LocalModelsConfig } from './local/settings.ts';
import type { OpenAiCompatibleUpstreamConfig } from './openai/settings.ts';
import type { RealtimeConfig } from './realtime/settings.ts';
import type { WorkersAiConfig } from './workers-ai/settings.ts';

/** What the providers are built from: the part of the server's configuration they read. */
export interface ProviderSettings {
  modelAliases: Record<string, string>;
  local: LocalModelsConfig;
  upstreamTimeoutMs: number;
  openAiCompatibleUpstreams: OpenAiCompatibleUpstreamConfig[];
  workersAi: WorkersAiConfig | undefined;
  realtime: RealtimeConfig | undefined;
}

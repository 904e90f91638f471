export interface RealtimeConfig {
  upstreamUrl: string;
  apiKey: string | undefined;
  models: string[];
}

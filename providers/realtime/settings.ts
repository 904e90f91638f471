export interface RealtimeConfig {
  upstreamUrl: string;
  apiKey: string | undefined;
  models: string[];
  /** Service tokens charged per million upstream tokens the relay reports using. */
  inputPerMillion: string;
  outputPerMillion: string;
}

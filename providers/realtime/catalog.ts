import type { RealtimeConfig } from './settings.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { createModelEntry } from '../model-entry.ts';

export const realtimeProviderName = 'realtime';

/**
 * Realtime models served through the websocket proxy, priced per token of the usage the upstream
 * reports on the relay (REALTIME_INPUT_PER_MILLION, REALTIME_OUTPUT_PER_MILLION); minting a
 * session has its own fee (procedures/realtime.ts).
 */
export function listRealtimeModels(config: RealtimeConfig): ModelEntry[] {
  return config.models.map((model) =>
    createModelEntry({
      provider: realtimeProviderName,
      upstreamModel: model,
      capabilities: ['realtime'],
      pricing: { unit: 'token', input_per_million: config.inputPerMillion, output_per_million: config.outputPerMillion },
    }),
  );
}

import type { RealtimeConfig } from './settings.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import { createModelEntry } from '../spec/model-entry.ts';

export const realtimeProviderName = 'realtime';

/**
 * Realtime models served through the websocket proxy. Minting a session is what is billed: the
 * reference prices it at 0.0000010 tokens per session.
 */
export function listRealtimeModels(config: RealtimeConfig): ModelEntry[] {
  return config.models.map((model) =>
    createModelEntry({
      provider: realtimeProviderName,
      upstreamModel: model,
      capabilities: ['realtime'],
      pricing: { unit: 'call', per_unit: '0.000001' },
    }),
  );
}

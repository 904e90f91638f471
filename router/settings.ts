import type { RealtimeConfig } from '../providers/realtime/settings.ts';
import type { StorageConfig } from '../providers/storage/settings.ts';
import type { WebhooksConfig } from '../jobs/settings.ts';

/**
 * The settings procedures and the tRPC core read. The service's whole configuration
 * (server/config.ts) extends it: settings are declared by the layer that reads them.
 */
export interface ServiceSettings {
  port: number;
  publicBaseUrl: string | undefined;
  defaultTextModel: string | undefined;
  defaultEmbeddingsModel: string | undefined;
  /**
   * The share of answers checked against their documented schema (0..1): a mismatch is logged and
   * answered 500. Tests check every answer (1); production a sample, as each check costs CPU.
   */
  validateOutputsSample: number;
  webhooks: WebhooksConfig;
  storage: StorageConfig;
  /** Absent: no realtime models, and minting answers 501. */
  realtime: RealtimeConfig | undefined;
}

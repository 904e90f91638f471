import type { ModelLimits, ModelSpec } from '../spec/model-spec.ts';
import type { UpstreamConfig } from './upstream-config.ts';
import { UpstreamEndpoint } from './upstream-endpoint.ts';

/** What every upstream adapter starts from: the model it runs, and its provider's plumbing. */
export abstract class UpstreamModel implements ModelSpec {
  readonly provider: string;
  readonly modelId: string;
  readonly upstreamModel: string;
  readonly limits: ModelLimits;
  protected readonly config: UpstreamConfig;

  /** `ownLimits`: what the upstream's API itself bounds, beyond the catalog entry's limits. */
  constructor(model: ModelSpec, config: UpstreamConfig, ownLimits: Partial<ModelLimits> = {}) {
    this.provider = model.provider;
    this.modelId = model.modelId;
    this.upstreamModel = model.upstreamModel;
    this.limits = { ...model.limits, ...ownLimits };
    this.config = config;
  }

  /** Call at construction only: the endpoint is resolved once and reused by every call. */
  protected endpoint(path: string): UpstreamEndpoint {
    return new UpstreamEndpoint(this.config, path);
  }
}

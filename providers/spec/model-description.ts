import type { Capability, Modality, Pricing } from '../../schema/api/models.ts';

/** A model as a provider's catalog describes it; createModelEntry fills in the rest. */
export interface ModelDescription {
  provider: string;
  upstreamModel: string;
  /** The part after `provider:`; defaults to the upstream model name. */
  name?: string;
  displayName?: string;
  capabilities: Capability[];
  inputModalities?: Modality[];
  outputModalities?: Modality[];
  contextWindow?: number | null;
  maxOutputTokens?: number | null;
  /** Limits this service enforces on the inputs of one request (local models: bounded work). */
  maxInputTokens?: number | null;
  maxRequestTokens?: number | null;
  pricing?: Pricing;
  available?: boolean;
}

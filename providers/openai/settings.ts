import { z } from 'zod';
import { capabilitySchema } from '../../schema/api/models.ts';

/** One model of an OpenAI-compatible upstream: a bare id, or an id with its capabilities, limits and prices. */
export const upstreamModelSetting = z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    capabilities: z.array(capabilitySchema).min(1).optional(),
    context_window: z.number().int().positive().optional(),
    max_output_tokens: z.number().int().positive().optional(),
    /** Service tokens per million input/output tokens; free when absent. */
    input_per_million: z.string().regex(/^\d+(\.\d+)?$/).optional(),
    output_per_million: z.string().regex(/^\d+(\.\d+)?$/).optional(),
  }),
]);

/** OPENAI_COMPAT_UPSTREAMS entries, as written in the environment. */
export const openAiCompatibleUpstreamSetting = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes (it becomes the model id prefix)'),
  base_url: z.url(),
  api_key: z.string().optional(),
  models: z.array(upstreamModelSetting).min(1),
  /**
   * The chat request field that carries the output token limit: `max_tokens` (what most
   * OpenAI-compatible servers read) or `max_completion_tokens` (OpenAI's, which its reasoning
   * models require).
   */
  token_limit_field: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
});

export type UpstreamModelSetting = z.infer<typeof upstreamModelSetting>;

export type TokenLimitField = 'max_tokens' | 'max_completion_tokens';

export interface OpenAiCompatibleUpstreamConfig {
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  models: UpstreamModelSetting[];
  tokenLimitField: TokenLimitField;
}

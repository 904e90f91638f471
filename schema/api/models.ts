import { z } from 'zod';

/** What a model can do; procedures look models up by capability, never by name. */
export const capabilities = [
  'text_generation',
  /** Text generation that takes `tools` and answers with tool calls. */
  'tool_calling',
  'embeddings',
  'rerank',
  'moderation',
  'transcription',
  'translation',
  'speech',
  'image_generation',
  'image_edit',
  'image_variation',
  'document_parse',
  'realtime',
] as const;
export const capabilitySchema = z.enum(capabilities).meta({ id: 'Capability' });
export type Capability = z.infer<typeof capabilitySchema>;

export const modalities = ['text', 'image', 'audio', 'document'] as const;
export const modalitySchema = z.enum(modalities).meta({ id: 'Modality' });
export type Modality = z.infer<typeof modalitySchema>;

/** Decimal amounts travel as strings so that prices as small as 1e-7 stay exact. */
export const tokenAmountSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .meta({ description: 'Exact decimal amount of service tokens', example: '0.15' });

export const pricingSchema = z
  .object({
    unit: z.enum(['token', 'call', 'image', 'audio_second', 'character']).meta({
      description: 'What one priced unit is',
    }),
    input_per_million: tokenAmountSchema.optional(),
    output_per_million: tokenAmountSchema.optional(),
    per_unit: tokenAmountSchema.optional(),
  })
  .meta({
    id: 'ModelPricing',
    description:
      'Price in service tokens: per million input/output model tokens when unit is "token", otherwise per unit',
  });
export type Pricing = z.infer<typeof pricingSchema>;

export const modelEntrySchema = z
  .object({
    id: z.string().meta({ example: 'workers-ai:llama-3.1-8b-instruct' }),
    object: z.literal('model'),
    provider: z.string(),
    upstream_model: z.string().meta({ description: 'The model name the provider itself uses' }),
    display_name: z.string(),
    capabilities: z.array(capabilitySchema),
    input_modalities: z.array(modalitySchema),
    output_modalities: z.array(modalitySchema),
    limits: z.object({
      context_window: z.number().int().nullable(),
      max_output_tokens: z.number().int().nullable(),
      max_input_tokens: z
        .number()
        .int()
        .nullable()
        .meta({ description: 'Longest single input this service accepts for the model (estimated at four characters a token); null: the upstream decides' }),
      max_request_tokens: z
        .number()
        .int()
        .nullable()
        .meta({ description: 'Most input in one request, all inputs together (estimated the same way); null: the upstream decides' }),
    }),
    pricing: pricingSchema,
    available: z.boolean().meta({ description: 'Whether this deployment can serve the model right now' }),
  })
  .meta({ id: 'Model' });
export type ModelEntry = z.infer<typeof modelEntrySchema>;

export const listModelsInputSchema = z
  .object({
    capability: capabilitySchema.optional(),
    provider: z.string().min(1).optional(),
  })
  .meta({ examples: [{ capability: 'text_generation' }] });

export const getModelInputSchema = z
  .object({
    model_id: z.string().min(1).meta({ description: 'A provider:model id, percent-encoded in the path' }),
  })
  .meta({ examples: [{ model_id: 'local:stories260K' }] });

/** OpenAI's model object; the extra catalog fields ride along (OpenAI clients ignore them). */
export const openAiModelSchema = modelEntrySchema
  .extend({
    created: z.number().int(),
    owned_by: z.string(),
  })
  .meta({ id: 'OpenAIModel' });

export const openAiModelListSchema = z
  .object({ object: z.literal('list'), data: z.array(openAiModelSchema) })
  .meta({ id: 'OpenAIModelList' });

import { z } from 'zod';

export const embeddingsRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'provider:model id; the default embeddings model when omitted' }),
    input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048)]).meta({ description: 'A text or up to 2048 texts' }),
    encoding_format: z.enum(['float', 'base64']).default('float').meta({ description: 'base64: little-endian float32 bytes' }),
    dimensions: z.int().min(1).max(8192).optional(),
    user: z.string().optional(),
  })
  .meta({ id: 'CreateEmbeddingsRequest', examples: [{ input: ['A cat sat on the mat.', 'A kitten rests on a rug.'] }] });
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

export const embeddingsResponseSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(z.object({ object: z.literal('embedding'), index: z.int(), embedding: z.union([z.array(z.number()), z.string()]) })),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.int(), total_tokens: z.int() }),
  })
  .meta({ id: 'Embeddings' });
export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;

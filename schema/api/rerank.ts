import { z } from 'zod';

export const rerankRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'provider:model id; the offline BM25 + embedding reranker when omitted' }),
    query: z.string().min(1),
    documents: z.array(z.union([z.string(), z.object({ text: z.string() })])).min(1).max(100),
    top_n: z.int().min(1).max(100).optional().meta({ description: 'How many results; all documents when omitted' }),
    return_documents: z.boolean().default(true),
  })
  .meta({ id: 'RerankRequest', examples: [{ query: 'Which animal purrs?', documents: ['Dogs bark at strangers.', 'Cats purr when content.', 'The sun is a star.'], top_n: 2 }] });
export type RerankRequestInput = z.output<typeof rerankRequestSchema>;

export const rerankResponseSchema = z
  .object({
    object: z.literal('list'),
    model: z.string(),
    results: z.array(
      z.object({
        index: z.int().meta({ description: '0-based index into documents' }),
        relevance_score: z.number(),
        document: z.object({ text: z.string() }).optional(),
      }),
    ),
    scoring: z.string().meta({ description: 'How relevance_score is made' }),
    usage: z.object({ total_tokens: z.int() }),
  })
  .meta({ id: 'RerankResult' });

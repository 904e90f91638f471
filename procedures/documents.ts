import { openCharge } from '../router/billing.ts';
import { router } from '../router/trpc.ts';
import { defineNativeMutation } from '../router/twin-routes.ts';
import { chunkRequestSchema, chunkResponseSchema, type ChunkRequest } from '../schema/api/documents.ts';
import { chunkBlocks } from './documents/chunker.ts';

/** The reference prices a chunk call itself (0.0000015 tokens), whatever its size. */
const chunkPricing = { id: 'service:documents.chunk', pricing: { unit: 'call' as const, per_unit: '0.0000015' } };

const chunk = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Documents',
  errorStatuses: [400, 401, 402, 403, 429],
  run: async (request: ChunkRequest, ctx) => {
    const charge = await openCharge(ctx, { primitive: 'documents.chunk', model: chunkPricing, upperBound: { input: 1, output: 0 }, rateEstimate: 0 });
    const blocks = request.blocks ?? [{ text: request.text! }];
    const { source, chunks } = chunkBlocks(blocks, { maxChars: request.max_chars, overlapChars: request.overlap_chars });
    charge.settle({ input: 1, output: 0 }, 'succeeded');
    return {
      object: 'list' as const,
      chunks: chunks.map((item) => ({ ...item, char_count: item.text.length })),
      source_chars: source.length,
      max_chars: request.max_chars,
      overlap_chars: request.overlap_chars,
    };
  },
  route: {
    path: '/infra/ai/documents/chunk',
    summary: 'Chunk a document',
    description:
      'Deterministic chunking of text or parsed blocks: cuts prefer block, then paragraph, then sentence, then word boundaries; ' +
      'every chunk has a stable id, character offsets into the source, and the blocks and pages it spans.',
    input: chunkRequestSchema,
    toArgs: (input) => input,
    output: chunkResponseSchema,
    toOutput: (chunks) => chunks,
  },
});

export const documentsRouter = router({ chunk });

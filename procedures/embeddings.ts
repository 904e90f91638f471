import { runCharged } from '../router/billing.ts';
import { router } from '../router/trpc.ts';
import { defineMirroredMutations, modelCallErrors } from '../router/primitive.ts';
import { scopeOf, type CallContext } from '../router/context.ts';
import { embeddingsRequestSchema, embeddingsResponseSchema, type EmbeddingsRequest, type EmbeddingsResponse } from '../schema/api/embeddings.ts';
import { resolveModelFor } from './models.ts';
import { checkInputLimits } from './input-limits.ts';

/** OpenAI's base64 form: the vector as little-endian float32 bytes. */
export function encodeFloat32Base64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

async function createEmbeddings(request: EmbeddingsRequest, ctx: CallContext): Promise<EmbeddingsResponse> {
  const { services } = ctx;
  const entry = resolveModelFor(services.catalog, 'embeddings', request.model, services.config.defaultEmbeddingsModel);
  const texts = typeof request.input === 'string' ? [request.input] : request.input;
  checkInputLimits(entry, texts, (index) => (typeof request.input === 'string' || index < 0 ? 'input' : `input.${index}`));
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const result = await runCharged(
    ctx,
    { primitive: 'embeddings', model: entry, upperBound: { input: bytes, output: 0 }, rateEstimate: Math.ceil(bytes / 4) },
    () => services.providers.embeddingModel(entry).embed({ texts, dimensions: request.dimensions, user: request.user, ...scopeOf(ctx) }),
    (embedded) => ({ input: embedded.inputTokens, output: 0 }),
  );
  return {
    object: 'list',
    data: result.vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: request.encoding_format === 'base64' ? encodeFloat32Base64(vector) : vector,
    })),
    model: entry.id,
    usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
  };
}

const create = defineMirroredMutations({
  scope: 'ai:generate',
  tag: 'Representations, Ranking & Safety',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  run: createEmbeddings,
  input: embeddingsRequestSchema,
  output: embeddingsResponseSchema,
  paths: {
    canonical: '/infra/ai/embeddings',
    compat: '/v1/embeddings',
    summary: 'Create embeddings',
    description: 'Embedding vectors for one text or many. Returned only: nothing is indexed.',
  },
});

export const embeddingsRouter = router({ create: create.canonical });
export const openAiEmbeddingsRouter = router({ create: create.compat });

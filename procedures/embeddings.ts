import { endianness } from 'node:os';
import { runCharged } from '../accounts/billing.ts';
import { router } from '../router/trpc.ts';
import { defineMirroredMutations, modelCallErrors } from '../router/primitive.ts';
import { scopeOf, type CallContext } from '../router/context.ts';
import { embeddingsRequestSchema, embeddingsResponseSchema, type EmbeddingsRequest, type EmbeddingsResponse } from '../schema/api/embeddings.ts';
import { resolveModelFor } from './models.ts';
import { checkInputLimits } from '../providers/input-limits.ts';

/** OpenAI's base64 form: the vector as little-endian float32 bytes (a float32 vector's own bytes, on little-endian hosts). */
export function encodeFloat32Base64(vector: number[] | Float32Array): string {
  const floats = vector instanceof Float32Array ? vector : Float32Array.from(vector);
  if (!littleEndian) {
    const bytes = Buffer.alloc(floats.length * 4);
    floats.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
    return bytes.toString('base64');
  }
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

const littleEndian = endianness() === 'LE';

/** The vector as JSON numbers: a plain loop, where Array.from walks a typed array's iterator at a twentieth of the speed. */
function toNumbers(vector: number[] | Float32Array): number[] {
  if (Array.isArray(vector)) return vector;
  const numbers = new Array<number>(vector.length);
  for (let index = 0; index < vector.length; index++) numbers[index] = vector[index]!;
  return numbers;
}

async function createEmbeddings(request: EmbeddingsRequest, ctx: CallContext): Promise<EmbeddingsResponse> {
  const { services } = ctx;
  const entry = resolveModelFor(services.catalog, 'embeddings', request.model, services.config.defaultEmbeddingsModel);
  const texts = typeof request.input === 'string' ? [request.input] : request.input;
  const model = services.providers.resolve('embeddings', entry.id);
  checkInputLimits(model, texts, (index) => (typeof request.input === 'string' || index < 0 ? 'input' : `input.${index}`));
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const result = await runCharged(
    ctx,
    { primitive: 'embeddings', model: entry, upperBound: { input: bytes, output: 0 }, rateEstimate: Math.ceil(bytes / 4) },
    () => model.embed({ texts, dimensions: request.dimensions, user: request.user, ...scopeOf(ctx) }),
    (embedded) => ({ input: embedded.inputTokens, output: 0, estimated: embedded.estimated }),
  );
  return {
    object: 'list',
    data: result.vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: request.encoding_format === 'base64' ? encodeFloat32Base64(vector) : toNumbers(vector),
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

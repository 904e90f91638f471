import { randomUUID } from 'node:crypto';
import { runCharged } from '../accounts/billing.ts';
import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineMirroredMutations, modelCallErrors } from '../router/primitive.ts';
import { scopeOf, type CallContext } from '../router/context.ts';
import type { ModerationInput } from '../providers/spec/moderation.ts';
import { moderationRequestSchema, moderationResponseSchema, type ModerationRequest } from '../schema/api/moderations.ts';
import { resolveModelFor } from './models.ts';
import { checkInputLimits } from '../providers/input-limits.ts';

function toInputs(input: ModerationRequest['input']): ModerationInput[][] {
  if (typeof input === 'string') return [[{ type: 'text', text: input }]];
  if (input.every((item) => typeof item === 'string')) return (input as string[]).map((text) => [{ type: 'text', text }]);
  return [(input as Exclude<typeof input[number], string>[]).map((part) => (part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image', url: part.image_url.url }))];
}

/** Classifies; never blocks. OpenAI's shape and category names on both trees. */
async function moderate(request: ModerationRequest, ctx: CallContext) {
  const { services } = ctx;
  const entry = resolveModelFor(services.catalog, 'moderation', request.model, undefined);
  const inputs = toInputs(request.input);
  const texts = inputs.map((parts) => parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n'));
  const model = services.providers.resolve('moderation', entry.id);
  checkInputLimits(model, texts, (index) => (typeof request.input === 'string' || index < 0 ? 'input' : `input.${index}`));
  if (inputs.some((parts) => parts.some((part) => part.type === 'image')) && !entry.input_modalities.includes('image')) {
    throw new ApiError('bad_request', `input: ${entry.id} reads text only`, { param: 'input' });
  }
  const bytes = inputs.flat().reduce((sum, part) => sum + (part.type === 'text' ? Buffer.byteLength(part.text) : 2000), 0);
  const perCall = entry.pricing.unit === 'call';
  const classified = await runCharged(
    ctx,
    { primitive: 'moderations', model: entry, upperBound: { input: perCall ? 1 : bytes, output: 0 }, rateEstimate: Math.ceil(bytes / 4) },
    () => model.classify({ inputs, ...scopeOf(ctx) }),
    (result) => (perCall ? { input: 1, output: 0 } : { input: result.inputTokens, output: 0, estimated: result.estimated }),
  );
  return {
    id: `modr-${randomUUID().replaceAll('-', '')}`,
    model: entry.id,
    results: classified.results.map((result) => ({
      flagged: result.flagged,
      categories: result.categories,
      category_scores: result.scores,
      category_applied_input_types: result.appliedInputTypes,
    })),
  };
}

const create = defineMirroredMutations({
  scope: 'ai:generate',
  tag: 'Representations, Ranking & Safety',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  run: moderate,
  input: moderationRequestSchema,
  output: moderationResponseSchema,
  paths: {
    canonical: '/infra/ai/moderations',
    compat: '/v1/moderations',
    summary: 'Moderate content',
    description: 'Policy-neutral classification with OpenAI category names and scores in [0,1]: it classifies, it never blocks.',
  },
});

export const moderationsRouter = router({ create: create.canonical });
export const openAiModerationsRouter = router({ create: create.compat });

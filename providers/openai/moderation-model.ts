import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import { moderationCategories, type ModerationCategory, type ModerationInput, type ModerationModel, type ModerationRequest, type ModerationResult } from '../spec/moderation.ts';
import { ProviderError } from '../spec/provider-error.ts';

const resultSchema = z.object({
  flagged: z.boolean(),
  categories: z.record(z.string(), z.boolean().nullish()),
  category_scores: z.record(z.string(), z.number().nullish()),
  category_applied_input_types: z.record(z.string(), z.array(z.enum(['text', 'image'])).nullish()).nullish(),
});
const responseSchema = z.object({ results: z.array(resultSchema) });

function toWireInput(parts: ModerationInput[]) {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts.map((part) => (part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image_url', image_url: { url: part.url } }));
}

const byCategory = <T>(value: (category: ModerationCategory) => T) => Object.fromEntries(moderationCategories.map((category) => [category, value(category)])) as Record<ModerationCategory, T>;

function toResult(result: z.infer<typeof resultSchema>): ModerationResult {
  return {
    flagged: result.flagged,
    categories: byCategory((category) => result.categories[category] ?? false),
    scores: byCategory((category) => result.category_scores[category] ?? 0),
    appliedInputTypes: byCategory((category) => result.category_applied_input_types?.[category] ?? ['text']),
  };
}

/** `/moderations` of OpenAI (or a compatible upstream). */
export class OpenAiCompatibleModerationModel extends UpstreamModel implements ModerationModel {
  readonly #moderations = this.endpoint('moderations');

  async classify({ inputs, signal }: ModerationRequest): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    const textOnly = inputs.every((parts) => parts.length === 1 && parts[0]!.type === 'text');
    // Texts go in one call as an array; an item with image parts is its own call.
    const batches = textOnly ? [inputs.map((parts) => (parts[0] as { text: string }).text)] : inputs.map(toWireInput);
    const answers = await Promise.all(
      batches.map((input) => this.#moderations.exchange({ model: this.upstreamModel, input }, signal, responseSchema, 'an unexpected moderation result')),
    );
    const results = answers.flatMap((answer) => answer.results.map(toResult));
    if (results.length !== inputs.length) throw new ProviderError('bad_gateway', `${this.config.name} answered for a different number of inputs`);
    const texts = inputs.flatMap((parts) => parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])));
    return { results, ...estimatedInput(texts) };
  }
}

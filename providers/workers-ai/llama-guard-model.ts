import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import { scoresToResult } from '../common/moderation-scores.ts';
import { moderationCategories, type ModerationCategory, type ModerationModel, type ModerationRequest, type ModerationResult } from '../spec/moderation.ts';
import { ProviderError } from '../spec/provider-error.ts';

/** Llama Guard 3's hazard codes in OpenAI's categories (codes with no counterpart are left out). */
const categoriesByHazard: Record<string, ModerationCategory[]> = {
  S1: ['violence'],
  S2: ['illicit'],
  S3: ['sexual'],
  S4: ['sexual', 'sexual/minors'],
  S5: ['harassment'],
  S9: ['illicit', 'illicit/violent'],
  S10: ['hate'],
  S11: ['self-harm'],
  S12: ['sexual'],
  S14: ['illicit'],
};

const resultSchema = z.object({ result: z.object({ response: z.unknown() }) });

/** The hazard codes of a verdict: JSON mode `{safe, categories}` or, tolerated, the plain `safe` / `unsafe\nS1,S10` form. */
export function hazardsOf(response: unknown): string[] {
  if (typeof response === 'object' && response !== null) {
    const verdict = response as { safe?: unknown; categories?: unknown };
    return verdict.safe === false && Array.isArray(verdict.categories) ? verdict.categories.map(String) : [];
  }
  const text = String(response).trim();
  return text.startsWith('unsafe') ? (text.match(/S\d+/g) ?? []) : [];
}

/** A verdict as OpenAI's result: each category its hazards name scores 1, the rest 0. */
export function llamaGuardResult(response: unknown): ModerationResult {
  const flagged = new Set(hazardsOf(response).flatMap((code) => categoriesByHazard[code] ?? []));
  const scores = Object.fromEntries(moderationCategories.map((category) => [category, flagged.has(category) ? 1 : 0])) as Record<ModerationCategory, number>;
  return scoresToResult(scores, ['text']);
}

/** `@cf/meta/llama-guard-3-8b`: one call per input, a yes/no per hazard. */
export class WorkersAiLlamaGuardModel extends UpstreamModel implements ModerationModel {
  readonly #run = this.endpoint(this.upstreamModel);

  async classify({ inputs, signal }: ModerationRequest): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    if (inputs.some((parts) => parts.some((part) => part.type === 'image'))) {
      throw new ProviderError('invalid_request', `input: ${this.upstreamModel} reads text only`, { param: 'input' });
    }
    const texts = inputs.map((parts) => parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n'));
    const results = await Promise.all(
      texts.map(async (text) => {
        const body = { messages: [{ role: 'user', content: text }], response_format: { type: 'json_object' } };
        const { result } = await this.#run.exchange(body, signal, resultSchema, 'an unexpected Llama Guard result');
        return llamaGuardResult(result.response);
      }),
    );
    return { results, ...estimatedInput(texts) };
  }
}

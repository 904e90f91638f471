import type { CallScope } from '../spec/call-scope.ts';
import { z } from 'zod';
import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens } from '../spec/embeddings.ts';
import { moderationCategories, scoresToResult, type ModerationCategory, type ModerationInput, type ModerationModel, type ModerationResult } from '../spec/moderation.ts';
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

/** JSON mode `{safe, categories}` or, tolerated, the plain `safe` / `unsafe\nS1,S10` form. */
function hazardsOf(response: unknown): string[] {
  if (typeof response === 'object' && response !== null) {
    const verdict = response as { safe?: unknown; categories?: unknown };
    return verdict.safe === false && Array.isArray(verdict.categories) ? verdict.categories.map(String) : [];
  }
  const text = String(response).trim();
  return text.startsWith('unsafe') ? (text.match(/S\d+/g) ?? []) : [];
}

/** `@cf/meta/llama-guard-3-8b`: one call per input, a yes/no per hazard, scored 1 or 0. */
export class WorkersAiLlamaGuardModel implements ModerationModel {
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async classify(inputs: ModerationInput[][], { signal }: CallScope): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    if (inputs.some((parts) => parts.some((part) => part.type === 'image'))) {
      throw new ProviderError('invalid_request', `input: ${upstreamModel} reads text only`, { param: 'input' });
    }
    const texts = inputs.map((parts) => parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n'));
    const results = await Promise.all(
      texts.map(async (text) => {
        const call = {
          ...workersAiRunEndpoint(config, upstreamModel),
          body: { messages: [{ role: 'user', content: text }], response_format: { type: 'json_object' } },
          signal,
          timeoutMs,
          upstreamName: 'Workers AI',
        };
        const parsed = resultSchema.safeParse(await exchangeJson(call));
        if (!parsed.success) throw new ProviderError('bad_gateway', 'Workers AI sent an unexpected Llama Guard result');
        const flaggedCategories = new Set(hazardsOf(parsed.data.result.response).flatMap((code) => categoriesByHazard[code] ?? []));
        const scores = Object.fromEntries(moderationCategories.map((category) => [category, flaggedCategories.has(category) ? 1 : 0])) as Record<
          ModerationCategory,
          number
        >;
        return scoresToResult(scores, ['text']);
      }),
    );
    return { results, inputTokens: estimateTokens(texts) };
  }
}

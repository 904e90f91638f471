import type { CallScope } from '../spec/call-scope.ts';
import { z } from 'zod';
import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { type UpstreamRequest, exchangeJson } from '../http/upstream-fetch.ts';
import { estimateTokens } from '../spec/embeddings.ts';
import { moderationCategories, type ModerationCategory, type ModerationInput, type ModerationModel, type ModerationResult } from '../spec/moderation.ts';
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

/** `/moderations` of OpenAI (or a compatible upstream), one call per input item. */
export class OpenAiCompatibleModerationModel implements ModerationModel {
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async classify(inputs: ModerationInput[][], { signal }: CallScope): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    const textOnly = inputs.every((parts) => parts.length === 1 && parts[0]!.type === 'text');
    // Texts go in one call as an array; an item with image parts is its own call.
    const batches = textOnly ? [inputs.map((parts) => (parts[0] as { text: string }).text)] : inputs.map(toWireInput);
    const results = (await Promise.all(batches.map((input) => this.#call(input, signal)))).flat();
    if (results.length !== inputs.length) throw new ProviderError('bad_gateway', `Upstream "${this.#options.upstream.name}" answered for a different number of inputs`);
    const texts = inputs.flatMap((parts) => parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])));
    return { results, inputTokens: estimateTokens(texts) };
  }

  async #call(input: unknown, signal: AbortSignal | undefined): Promise<ModerationResult[]> {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    const call: UpstreamRequest = {
      ...upstreamEndpoint(upstream, `moderations`),
      body: { model: upstreamModel, input },
      signal,
      timeoutMs,
      upstreamName: `Upstream "${upstream.name}"`,
    };
    const parsed = responseSchema.safeParse(await exchangeJson(call));
    if (!parsed.success) throw new ProviderError('bad_gateway', `${call.upstreamName} sent an unexpected moderation result`);
    return parsed.data.results.map((result) => ({
      flagged: result.flagged,
      categories: Object.fromEntries(moderationCategories.map((category) => [category, result.categories[category] ?? false])) as Record<ModerationCategory, boolean>,
      scores: Object.fromEntries(moderationCategories.map((category) => [category, result.category_scores[category] ?? 0])) as Record<ModerationCategory, number>,
      appliedInputTypes: Object.fromEntries(
        moderationCategories.map((category) => [category, result.category_applied_input_types?.[category] ?? ['text']]),
      ) as Record<ModerationCategory, ('text' | 'image')[]>,
    }));
  }
}

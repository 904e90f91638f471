import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import { estimatedInput } from '../common/token-estimates.ts';
import { cosineSimilarity } from './cosine-similarity.ts';
import type { TextEncoder } from './sentence-encoder.ts';
import { ProviderError } from '../spec/provider-error.ts';
import { moderationCategories, type ModerationCategory, type ModerationInput, type ModerationResult } from '../spec/moderation.ts';
import { scoresToResult } from '../common/moderation-scores.ts';
import { benignExemplars, categoryExemplars } from './moderation-exemplars.ts';


/** How much closer to a category than to benign language a text must be to score 0.5. */
const margin = 0.08;
const steepness = 14;
const logistic = (value: number) => 1 / (1 + Math.exp(-steepness * value));
/** Near 0 below a cosine of ~0.4 to the closest example, near 1 above ~0.6. */
const gate = (similarity: number) => 1 / (1 + Math.exp(-25 * (similarity - 0.5)));

/** Explicit first-person statements the examples might miss; they set a floor under the score. */
const rules: { pattern: RegExp; categories: ModerationCategory[]; score: number }[] = [
  { pattern: /\b(i('| a)?m|i will|i'll|gonna|going to)\s+(kill|murder|stab|shoot|hurt)\s+(you|him|her|them|everyone)\b/i, categories: ['violence', 'harassment/threatening'], score: 0.9 },
  { pattern: /\b(kill|hurt|cut|harm)\s+myself\b|\bend (it all|my life)\b|\bcommit suicide\b|\bsuicidal\b/i, categories: ['self-harm', 'self-harm/intent'], score: 0.9 },
  { pattern: /\b(how (do|can) i|best way to|steps to)\b.{0,40}\b(kill myself|overdose|suicide)\b/i, categories: ['self-harm/instructions'], score: 0.9 },
  { pattern: /\b(how (do|can|to) (i )?(make|build))\b.{0,30}\b(bomb|explosive|nerve gas)\b/i, categories: ['illicit', 'illicit/violent'], score: 0.9 },
];

const profanity = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

/**
 * Offline moderation. Profanity (obscenity, with its evasion handling and no Scunthorpe problem)
 * counts as harassment when aimed at someone; a few explicit rules set floors; otherwise a score
 * per category is the logistic of how much closer the text is to that category's examples than
 * to everyday language that borrows the same words. Policy-neutral: it classifies, never blocks.
 */
interface Anchors {
  category: Partial<Record<ModerationCategory, number[][]>>;
  benign: number[][];
}

export class OfflineModerator {
  readonly #encoder: TextEncoder;
  #anchors: Promise<Anchors> | undefined;

  constructor(encoder: TextEncoder) {
    this.#encoder = encoder;
  }

  #loadAnchors(): Promise<Anchors> {
    this.#anchors ??= (async () => {
      const entries = Object.entries(categoryExemplars) as [ModerationCategory, string[]][];
      const texts = [...entries.flatMap(([, examples]) => examples), ...benignExemplars];
      const { vectors } = await this.#encoder.embed({ texts });
      const category: Partial<Record<ModerationCategory, number[][]>> = {};
      let offset = 0;
      for (const [name, examples] of entries) {
        category[name] = vectors.slice(offset, offset + examples.length);
        offset += examples.length;
      }
      return { category, benign: vectors.slice(offset) };
    })();
    return this.#anchors;
  }

  async classify(inputs: ModerationInput[][], signal?: AbortSignal): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    if (inputs.some((parts) => parts.some((part) => part.type === 'image'))) {
      throw new ProviderError('invalid_request', 'input: the offline moderation model reads text only', { param: 'input' });
    }
    const texts = inputs.map((parts) => parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n'));
    const anchors = await this.#loadAnchors();
    const { vectors } = await this.#encoder.embed({ texts, signal });
    const results = texts.map((text, index) => scoresToResult(this.#score(text, vectors[index]!, anchors), ['text']));
    return { results, ...estimatedInput(texts) };
  }

  #score(text: string, vector: number[], anchors: Anchors): Record<ModerationCategory, number> {
    const closest = (examples: number[][] | undefined) => Math.max(0, ...(examples ?? []).map((example) => cosineSimilarity(vector, example)));
    const benign = Math.max(closest(anchors.benign), 0.3);
    const similarity = Object.fromEntries(
      moderationCategories.map((category) => [category, anchors.category[category] ? closest(anchors.category[category]) : 0]),
    ) as Record<ModerationCategory, number>;
    const lead = Object.fromEntries(
      moderationCategories.map((category) => [category, anchors.category[category] ? similarity[category] - benign : -1]),
    ) as Record<ModerationCategory, number>;
    const top = Math.max(...Object.values(lead));
    // Harmful categories sit close to each other: one that trails the best match is discounted by the gap.
    const scores = Object.fromEntries(
      // Being relatively closer is not enough: the text must also resemble the examples outright.
      moderationCategories.map((category) => [
        category,
        lead[category] < 0 ? 0 : logistic(lead[category] - margin - (top - lead[category])) * gate(similarity[category]),
      ]),
    ) as Record<ModerationCategory, number>;

    const swearing = profanity.hasMatch(text);
    if (swearing) scores.harassment = Math.max(scores.harassment, /\b(you|your|u)\b/i.test(text) ? 0.8 : 0.3);
    for (const rule of rules) {
      if (rule.pattern.test(text)) for (const category of rule.categories) scores[category] = Math.max(scores[category], rule.score);
    }
    // A graphic or violent subcategory implies its parent; threats need violence.
    scores.violence = Math.max(scores.violence, scores['violence/graphic']);
    scores.illicit = Math.max(scores.illicit, scores['illicit/violent']);
    scores['hate/threatening'] = Math.min(scores.hate, Math.max(scores['hate/threatening'], scores.violence));
    scores['harassment/threatening'] = Math.max(scores['harassment/threatening'], Math.min(scores.harassment, scores.violence));
    scores['self-harm/intent'] = Math.max(scores['self-harm/intent'], scores['self-harm'] >= 0.5 && /\b(i|me|my|myself)\b/i.test(text) ? scores['self-harm'] : 0);
    scores['sexual/minors'] = scores.sexual >= 0.5 && /\b(child|children|kid|minor|underage|\d{1,2}[- ]year[- ]old)\b/i.test(text) ? scores.sexual : 0;
    for (const category of moderationCategories) scores[category] = Math.round(scores[category] * 1e6) / 1e6;
    return scores;
  }
}

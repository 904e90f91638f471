import type { CallScope } from './call-scope.ts';

/** OpenAI's moderation categories, the shape every adapter answers in. */
export const moderationCategories = [
  'hate',
  'hate/threatening',
  'harassment',
  'harassment/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type ModerationCategory = (typeof moderationCategories)[number];

export type ModerationInput = { type: 'text'; text: string } | { type: 'image'; url: string };

export interface ModerationResult {
  flagged: boolean;
  categories: Record<ModerationCategory, boolean>;
  scores: Record<ModerationCategory, number>;
  appliedInputTypes: Record<ModerationCategory, ('text' | 'image')[]>;
}

export interface ModerationModel {
  /** One result per input item (a text, or a group of parts). */
  classify(inputs: ModerationInput[][], scope: CallScope): Promise<{ results: ModerationResult[]; inputTokens: number }>;
}

export function scoresToResult(scores: Record<ModerationCategory, number>, types: ('text' | 'image')[], threshold = 0.5): ModerationResult {
  const categories = Object.fromEntries(moderationCategories.map((category) => [category, scores[category] >= threshold])) as Record<ModerationCategory, boolean>;
  return {
    flagged: Object.values(categories).some(Boolean),
    categories,
    scores,
    appliedInputTypes: Object.fromEntries(moderationCategories.map((category) => [category, types])) as Record<ModerationCategory, ('text' | 'image')[]>,
  };
}

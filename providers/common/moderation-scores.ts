import { moderationCategories, type ModerationCategory, type ModerationResult } from '../spec/moderation.ts';

/** A result from a score per category: flagged where a score reaches the threshold. */
export function scoresToResult(scores: Record<ModerationCategory, number>, types: ('text' | 'image')[], threshold = 0.5): ModerationResult {
  const categories = Object.fromEntries(moderationCategories.map((category) => [category, scores[category] >= threshold])) as Record<ModerationCategory, boolean>;
  return {
    flagged: Object.values(categories).some(Boolean),
    categories,
    scores,
    appliedInputTypes: Object.fromEntries(moderationCategories.map((category) => [category, types])) as Record<ModerationCategory, ('text' | 'image')[]>,
  };
}

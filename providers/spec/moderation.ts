import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

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

export interface ModerationRequest extends CallScope {
  /** One item per result: a text, or a group of parts. */
  inputs: ModerationInput[][];
}

export interface ModerationModel extends ModelSpec {
  /** One result per input item. */
  classify(request: ModerationRequest): Promise<{ results: ModerationResult[]; inputTokens: number; estimated?: boolean }>;
}

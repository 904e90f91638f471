import type { ChatMessage, TextUsage } from '../spec/text-generation.ts';

/** About four characters a token, for models that do not report usage. */
function estimateTokens(texts: string[]): number {
  return texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
}

/** An input count for a model that reports none: about four characters a token, flagged as an estimate. */
export function estimatedInput(texts: string[]): { inputTokens: number; estimated: true } {
  return { inputTokens: estimateTokens(texts), estimated: true };
}

/** The text of a message's text parts, joined. */
export function textOf(message: ChatMessage): string {
  return message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

/**
 * For upstreams that do not report usage: about four characters a token, so a missing count
 * never bills as zero, flagged as an estimate in the call's usage record.
 */
export function estimateUsage(messages: ChatMessage[], outputText: string): TextUsage {
  const inputCharacters = messages.reduce((sum, message) => sum + textOf(message).length, 0);
  return { inputTokens: Math.ceil(inputCharacters / 4), outputTokens: Math.ceil(outputText.length / 4), estimated: true };
}

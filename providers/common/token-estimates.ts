import type { ChatMessage, TextUsage } from '../spec/text-generation.ts';

/** About four characters a token, for models that do not report usage. */
export function estimateTokens(texts: string[]): number {
  return texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
}

/** The text of a message's text parts, joined. */
export function textOf(message: ChatMessage): string {
  return message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

/**
 * For upstreams that do not report usage: about four characters a token, so a missing count
 * never bills as zero.
 */
export function estimateUsage(messages: ChatMessage[], outputText: string): TextUsage {
  const inputCharacters = messages.reduce((sum, message) => sum + textOf(message).length, 0);
  return { inputTokens: Math.ceil(inputCharacters / 4), outputTokens: Math.ceil(outputText.length / 4) };
}

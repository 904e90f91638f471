import type { ChatMessage } from '../spec/text-generation.ts';
import { textOf } from '../common/token-estimates.ts';

/**
 * A base model (no chat template, like stories260K) gets plain text it can continue: system
 * text, a blank line, then the turns in order, without role labels that it never saw in training.
 */
export function renderPlainPrompt(messages: ChatMessage[]): string {
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map(textOf);
  const turns = messages.filter((message) => message.role !== 'system' && message.role !== 'developer').map(textOf);
  return [system.join('\n'), turns.join('\n')].filter(Boolean).join('\n\n');
}

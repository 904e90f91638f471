import { resolveChatWrapper, type ChatHistoryItem, type LlamaModel, type LlamaText } from 'node-llama-cpp';
import { textOf, type ChatMessage } from '../spec/text-generation.ts';

export interface RenderedPrompt {
  text: string | LlamaText;
  stopTriggers: LlamaText[];
}

/**
 * A model with a chat template gets the conversation rendered through it. A base model (no
 * template, like stories260K) gets plain text it can continue: system text, a blank line, then
 * the turns in order, without role labels that it never saw in training.
 */
export function renderPrompt(model: LlamaModel, messages: ChatMessage[]): RenderedPrompt {
  if (model.fileInfo.metadata.tokenizer?.chat_template) {
    const chatWrapper = resolveChatWrapper(model);
    const history: ChatHistoryItem[] = messages.map((message) => {
      const text = textOf(message);
      if (message.role === 'system' || message.role === 'developer') return { type: 'system', text };
      if (message.role === 'assistant') return { type: 'model', response: [text] };
      return { type: 'user', text };
    });
    history.push({ type: 'model', response: [] });
    const state = chatWrapper.generateContextState({ chatHistory: history });
    return { text: state.contextText, stopTriggers: state.stopGenerationTriggers };
  }
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map(textOf);
  const turns = messages.filter((message) => message.role !== 'system' && message.role !== 'developer').map(textOf);
  const text = [system.join('\n'), turns.join('\n')].filter(Boolean).join('\n\n');
  return { text, stopTriggers: [] };
}

import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, GbnfJsonSchema } from 'node-llama-cpp';
import type { ChatMessage, FunctionTool } from '../spec/text-generation.ts';
import { textOf } from '../common/token-estimates.ts';

/**
 * The conversation as node-llama-cpp's chat history, for models with a chat template: an
 * assistant turn that called tools carries each call together with the tool message that
 * answered it, so the template renders calls and results in the model's own syntax.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const toolResults = new Map<string, string>();
  for (const message of messages) {
    if (message.role === 'tool' && message.toolCallId) toolResults.set(message.toolCallId, textOf(message));
  }
  const history: ChatHistoryItem[] = [];
  for (const message of messages) {
    const text = textOf(message);
    if (message.role === 'system' || message.role === 'developer') history.push({ type: 'system', text });
    else if (message.role === 'user') history.push({ type: 'user', text });
    else if (message.role === 'assistant') {
      const calls = (message.toolCalls ?? []).map(
        (call, index): ChatModelFunctionCall => ({
          type: 'functionCall',
          name: call.name,
          params: parseJson(call.arguments),
          result: parseJson(toolResults.get(call.id) ?? ''),
          startsNewChunk: index === 0,
        }),
      );
      history.push({ type: 'model', response: [...(text ? [text] : []), ...calls] });
    } else if (!message.toolCallId || !toolResults.has(message.toolCallId)) {
      // A tool message that answers no call in the history is shown to the model as user text.
      history.push({ type: 'user', text });
    }
  }
  history.push({ type: 'model', response: [] });
  return history;
}

/** The request's tools as node-llama-cpp functions, whose parameter schemas become grammars. */
export function toChatFunctions(tools: FunctionTool[]): ChatModelFunctions {
  return Object.fromEntries(
    tools.map((tool) => [
      tool.name,
      { ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters ? { params: tool.parameters as GbnfJsonSchema } : {}) },
    ]),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

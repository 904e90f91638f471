import { LlamaText, type ChatWrapper } from 'node-llama-cpp';

/**
 * The chat wrapper with its function-call syntax already opened at the start of the reply, so
 * llama.cpp's function-name and parameter grammars take over from the first token: how
 * `tool_choice: required` (or a named function) is guaranteed on a local model.
 */
export function withFunctionCallForced(wrapper: ChatWrapper): ChatWrapper {
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (options) => {
    // Prefix triggers and detection belong to free-running replies; this one starts inside a call.
    const state = wrapper.generateContextState(options);
    return {
      stopGenerationTriggers: state.stopGenerationTriggers,
      ...(state.ignoreStartText ? { ignoreStartText: state.ignoreStartText } : {}),
      contextText: LlamaText([state.contextText, wrapper.settings.functions.call.prefix]),
      functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
    };
  };
  return forced;
}

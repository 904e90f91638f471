import type { GenerationOption, GenerationOptions, ToolChoice } from '../spec/text-generation.ts';

/** Whether an option is set to something other than its neutral value (which every model honours). */
export function isOptionSet(options: GenerationOptions, option: GenerationOption): boolean {
  const value = options[option];
  switch (option) {
    case 'topP':
      return value !== undefined && value !== 1;
    case 'presencePenalty':
    case 'frequencyPenalty':
      return value !== undefined && value !== 0;
    case 'logprobs':
      return value === true;
    case 'topLogprobs':
      return value !== undefined && value !== 0;
    case 'stop':
    case 'tools':
      return Array.isArray(value) && value.length > 0;
    case 'logitBias':
      return value !== undefined && Object.keys(value as object).length > 0;
    case 'toolChoice':
      // 'auto' is what a model does with tools anyway; without tools no choice means anything.
      return value !== undefined && (value as ToolChoice).type !== 'auto' && (options.tools?.length ?? 0) > 0;
    case 'parallelToolCalls':
      return value !== undefined && (options.tools?.length ?? 0) > 0;
    default:
      return value !== undefined;
  }
}


import { ProviderError } from './spec/provider-error.ts';
import type { ModelSpec } from './spec/model-spec.ts';

/** Tokens as the limits count them: four characters a token, the estimate the catalog states. */
const estimatedTokens = (text: string) => Math.ceil(text.length / 4);

const refuse = (message: string, param: string) => new ProviderError('invalid_request', message, { param });

/**
 * A model's limits, checked before any work or network call starts: the number of inputs against
 * `maxInputsPerCall`, each input against `maxInputTokens`, all together against
 * `maxRequestTokens`. `paramOf(index)` names the field of each input in the 400, `paramOf(-1)`
 * the field of them all.
 */
export function checkInputLimits(model: ModelSpec, texts: string[], paramOf: (index: number) => string): void {
  const { maxInputsPerCall, maxInputTokens: perInput, maxRequestTokens: perRequest } = model.limits;
  if (maxInputsPerCall !== null && texts.length > maxInputsPerCall) {
    const param = paramOf(-1);
    throw refuse(`${param}: ${texts.length} inputs; ${model.modelId} takes at most ${maxInputsPerCall} in one request: split it`, param);
  }
  let total = 0;
  for (const [index, text] of texts.entries()) {
    const tokens = estimatedTokens(text);
    if (perInput !== null && tokens > perInput) {
      const param = paramOf(index);
      throw refuse(`${param}: about ${tokens} tokens (${text.length} characters); ${model.modelId} takes at most ${perInput} tokens (${perInput * 4} characters) per input`, param);
    }
    total += tokens;
  }
  if (perRequest !== null && total > perRequest) {
    const param = paramOf(-1);
    throw refuse(`${param}: about ${total} tokens in all; ${model.modelId} takes at most ${perRequest} tokens per request: split it`, param);
  }
}

import { ApiError } from '../router/errors.ts';
import type { ModelEntry } from '../schema/api/models.ts';

/** Tokens as the limits count them: four characters a token, the estimate the README states. */
const estimatedTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * The model's own input limits (set where this service does the work, so work is bounded before
 * it starts): each input against `max_input_tokens`, all together against `max_request_tokens`.
 * `paramOf(index)` names the field of each input in the 400.
 */
export function checkInputLimits(entry: ModelEntry, texts: string[], paramOf: (index: number) => string): void {
  const { max_input_tokens: perInput, max_request_tokens: perRequest } = entry.limits;
  let total = 0;
  for (const [index, text] of texts.entries()) {
    const tokens = estimatedTokens(text);
    if (perInput !== null && tokens > perInput) {
      const param = paramOf(index);
      throw new ApiError(
        'bad_request',
        `${param}: about ${tokens} tokens (${text.length} characters); ${entry.id} takes at most ${perInput} tokens (${perInput * 4} characters) per input`,
        { param },
      );
    }
    total += tokens;
  }
  if (perRequest !== null && total > perRequest) {
    const param = paramOf(-1);
    throw new ApiError('bad_request', `${param}: about ${total} tokens in all; ${entry.id} takes at most ${perRequest} tokens per request: split it`, { param });
  }
}

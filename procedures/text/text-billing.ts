import type { ChargeRequest, Units } from '../../accounts/billing.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import type { TextGenerationRequest, TextUsage } from '../../providers/spec/text-generation.ts';

/** Template overhead per message and the most an image can count as input, for upper bounds. */
const tokensPerMessage = 8;
const tokensPerImageBound = 2000;
const defaultOutputBound = 4096;

function outputBound(entry: ModelEntry, request: TextGenerationRequest): number {
  return request.maxOutputTokens ?? entry.limits.max_output_tokens ?? defaultOutputBound;
}

/**
 * A text call's billing: the reservation bound counts every UTF-8 byte of input as a token (no
 * tokenizer makes more tokens than bytes), the rate estimate four characters a token.
 */
export function textChargeRequest(primitive: string, entry: ModelEntry, request: TextGenerationRequest): ChargeRequest {
  let bytes = 0;
  let characters = 0;
  let images = 0;
  for (const message of request.messages) {
    bytes += tokensPerMessage;
    for (const part of message.content) {
      if (part.type === 'text') {
        bytes += Buffer.byteLength(part.text);
        characters += part.text.length;
      } else images++;
    }
  }
  const output = outputBound(entry, request);
  const imageTokens = images * tokensPerImageBound;
  return {
    primitive,
    model: entry,
    upperBound: { input: bytes + imageTokens, output },
    rateEstimate: Math.ceil(characters / 4) + request.messages.length * tokensPerMessage + imageTokens + output,
    // Mostly the output bound: the field a caller lowers to fit a small budget.
    rateParam: primitive === 'chat.completions' ? 'max_tokens' : 'max_output_tokens',
  };
}

export function unitsOf(usage: TextUsage): Units {
  return { input: usage.inputTokens, output: usage.outputTokens, estimated: usage.estimated };
}

import type { Units } from '../../accounts/billing.ts';
import type { ProviderRegistry } from '../../providers/registry.ts';
import { estimateUsage, textOf } from '../../providers/common/token-estimates.ts';
import type { TextGenerationRequest } from '../../providers/spec/text-generation.ts';

/**
 * What a stream that ended before its last event used (the client went away, the upstream broke
 * off), when the upstream never said: the input and the text generated so far, counted with the
 * model's own tokenizer where this service has one (OpenAI's encodings, a local GGUF vocabulary)
 * plus its chat format's framing. Otherwise, or with images or tools in the conversation (no
 * tokenizer here counts those as the model's template renders them), about four characters a
 * token, recorded as an estimate.
 */
export async function countAbandoned(
  providers: ProviderRegistry,
  modelId: string,
  request: Pick<TextGenerationRequest, 'messages' | 'tools'>,
  generated: string,
  projectId: string,
): Promise<Units> {
  const { messages } = request;
  const estimate = (): Units => {
    const usage = estimateUsage(messages, generated);
    return { input: usage.inputTokens, output: usage.outputTokens, estimated: true };
  };
  const withTools = (request.tools?.length ?? 0) > 0 || messages.some((message) => message.role === 'tool' || (message.toolCalls?.length ?? 0) > 0);
  if (withTools || messages.some((message) => message.content.some((part) => part.type !== 'text'))) return estimate();
  try {
    const tokenizer = providers.resolve('tokenize', modelId);
    // The caller's signal has fired (that is why the stream ended): the count runs without it.
    const count = async (text: string) => (text ? (await tokenizer.tokenize({ text, projectId })).length : 0);
    const [input, output] = await Promise.all([count(messages.map(textOf).join('\n')), count(generated)]);
    const { perMessage, perReply } = tokenizer.chatFraming;
    return { input: input + perMessage * messages.length + perReply, output };
  } catch {
    // No tokenizer for this model, or the compute pool refused the work (saturated, stopping).
    return estimate();
  }
}

import { exchangeJson, postUpstreamJson } from '../http/upstream-fetch.ts';
import { parseJsonFrame, readSseData } from '../http/sse-reader.ts';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import type { OpenAiCompatibleConfig } from './provider.ts';
import type { TokenLimitField } from './settings.ts';
import { estimateUsage } from '../common/token-estimates.ts';
import type { FinishReason, TextGenerationModel, TextGenerationRequest, TextGenerationResult, TextStreamPart, TextUsage } from '../spec/text-generation.ts';
import { chatChunkSchema, chatCompletionSchema, mapFinishReason, mapLogprobs, mapToolCalls, mapUsage, openAiHonours, toChatCompletionBody } from './chat-wire.ts';

/** Text generation on any OpenAI-compatible upstream (OpenAI, vLLM, Ollama, Groq, LocalAI...). */
export class OpenAiCompatibleTextModel extends UpstreamModel implements TextGenerationModel {
  readonly honours = openAiHonours;
  readonly #completions = this.endpoint('chat/completions');
  readonly #tokenLimitField: TokenLimitField;

  constructor(model: ModelSpec, config: OpenAiCompatibleConfig) {
    super(model, config);
    this.#tokenLimitField = config.tokenLimitField;
  }

  async generate(request: TextGenerationRequest): Promise<TextGenerationResult> {
    // The endpoint's own parse, not its exchange: one promise fewer on the hot path.
    const answer = await exchangeJson(this.#completions.request(toChatCompletionBody(this.upstreamModel, request, false, this.#tokenLimitField), request.signal));
    const completion = this.#completions.parse(answer, chatCompletionSchema, 'an unexpected completion');
    const choice = completion.choices[0]!;
    const usage = completion.usage;
    const text = choice.message.content ?? '';
    return {
      text,
      toolCalls: mapToolCalls(choice.message.tool_calls),
      logprobs: mapLogprobs(choice.logprobs),
      finishReason: mapFinishReason(choice.finish_reason),
      usage: usage ? mapUsage(usage) : estimateUsage(request.messages, text),
    };
  }

  async *stream(request: TextGenerationRequest): AsyncGenerator<TextStreamPart> {
    const upstream = this.#completions.request(toChatCompletionBody(this.upstreamModel, request, true, this.#tokenLimitField), request.signal);
    const name = upstream.upstreamName;
    const response = await postUpstreamJson(upstream);
    yield { type: 'start' };
    let finishReason: FinishReason = 'stop';
    let usage: TextUsage | undefined;
    let text = '';
    for await (const data of readSseData(response.body, upstream)) {
      if (data === '[DONE]') break;
      const chunk = chatChunkSchema.safeParse(parseJsonFrame(data, name));
      if (!chunk.success) continue;
      const choice = chunk.data.choices?.[0];
      if (choice?.delta?.content) {
        text += choice.delta.content;
        yield { type: 'text-delta', text: choice.delta.content, logprobs: mapLogprobs(choice.logprobs) };
      }
      for (const call of choice?.delta?.tool_calls ?? []) {
        yield { type: 'tool-call-delta', index: call.index, id: call.id ?? undefined, name: call.function?.name ?? undefined, argumentsDelta: call.function?.arguments ?? '' };
      }
      if (choice?.finish_reason) finishReason = mapFinishReason(choice.finish_reason);
      if (chunk.data.usage) usage = mapUsage(chunk.data.usage);
    }
    yield { type: 'finish', finishReason, usage: usage ?? estimateUsage(request.messages, text) };
  }
}

import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { exchangeJson, postUpstreamJson, type UpstreamRequest } from '../http/upstream-fetch.ts';
import { parseJsonFrame, readSseData } from '../http/sse-reader.ts';
import { ProviderError } from '../spec/provider-error.ts';
import {
  estimateUsage,
  type FinishReason,
  type TextGenerationModel,
  type TextGenerationRequest,
  type TextGenerationResult,
  type TextStreamPart,
  type TextUsage,
} from '../spec/text-generation.ts';
import { chatChunkSchema, chatCompletionSchema, mapFinishReason, mapToolCalls, mapUsage, openAiHonours, toChatCompletionBody } from './chat-wire.ts';

export interface OpenAiCompatibleTextModelOptions {
  upstream: OpenAiCompatibleUpstreamConfig;
  upstreamModel: string;
  timeoutMs: number;
}

/** Text generation on any OpenAI-compatible upstream (OpenAI, vLLM, Ollama, Groq, LocalAI...). */
export class OpenAiCompatibleTextModel implements TextGenerationModel {
  readonly honours = openAiHonours;
  readonly #options: OpenAiCompatibleTextModelOptions;

  constructor(options: OpenAiCompatibleTextModelOptions) {
    this.#options = options;
  }

  #upstreamRequest(request: TextGenerationRequest, stream: boolean): UpstreamRequest {
    const { upstream, upstreamModel, timeoutMs } = this.#options;
    return {
      ...upstreamEndpoint(upstream, `chat/completions`),
      body: toChatCompletionBody(upstreamModel, request, stream),
      signal: request.signal,
      timeoutMs,
      upstreamName: `Upstream "${upstream.name}"`,
    };
  }

  async generate(request: TextGenerationRequest): Promise<TextGenerationResult> {
    const upstream = this.#upstreamRequest(request, false);
    const parsed = chatCompletionSchema.safeParse(await exchangeJson(upstream));
    if (!parsed.success) {
      throw new ProviderError('bad_gateway', `Upstream "${this.#options.upstream.name}" sent an unexpected completion`);
    }
    const choice = parsed.data.choices[0]!;
    const text = choice.message.content ?? '';
    const usage = parsed.data.usage ? mapUsage(parsed.data.usage) : estimateUsage(request.messages, text);
    const logprobs = choice.logprobs ? { content: choice.logprobs.content ?? null, refusal: choice.logprobs.refusal ?? null } : undefined;
    return { text, toolCalls: mapToolCalls(choice.message.tool_calls), logprobs, finishReason: mapFinishReason(choice.finish_reason), usage };
  }

  async *stream(request: TextGenerationRequest): AsyncGenerator<TextStreamPart> {
    const upstream = this.#upstreamRequest(request, true);
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
        const logprobs = choice.logprobs ? { content: choice.logprobs.content ?? null, refusal: choice.logprobs.refusal ?? null } : undefined;
        yield { type: 'text-delta', text: choice.delta.content, logprobs };
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

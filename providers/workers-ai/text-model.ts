import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { UpstreamConfig } from '../http/upstream-config.ts';
import { exchangeJson, postUpstreamJson, type UpstreamRequest } from '../http/upstream-fetch.ts';
import { parseJsonFrame, readSseData } from '../http/sse-reader.ts';
import { ProviderError } from '../spec/provider-error.ts';
import { chatChunkSchema, mapFinishReason, mapUsage } from '../openai/chat-wire.ts';
import { estimateUsage, textOf } from '../common/token-estimates.ts';
import type { ModelSpec } from '../spec/model-spec.ts';
import type {
  ChatMessage,
  FinishReason,
  GenerationOption,
  TextGenerationModel,
  TextGenerationRequest,
  TextGenerationResult,
  TextStreamPart,
  TextUsage,
} from '../spec/text-generation.ts';

const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() });

/** `result` of the v4 envelope for text generation; `response` is a string, or an object in JSON mode. */
const runResultSchema = z.object({
  result: z
    .object({
      response: z.unknown().optional(),
      usage: usageSchema.nullish(),
      // Traditional function calling: the arguments come as an object, not JSON text.
      tool_calls: z.array(z.object({ name: z.string(), arguments: z.unknown().optional() })).nullish(),
    })
    .nullish(),
});

/** Native stream frames: `{"response":"Hel","p":"..."}`, the last one carrying `usage`. */
const nativeFrameSchema = z.object({ response: z.string().nullish(), usage: usageSchema.nullish() });

/** A turn as the run endpoint takes it: tool calls and results in OpenAI's shape, text as a string. */
function toRunMessage(message: ChatMessage) {
  const role = message.role === 'developer' ? 'system' : message.role;
  if (message.role === 'tool') return { role, tool_call_id: message.toolCallId, content: textOf(message) };
  if (message.toolCalls?.length) {
    return { role, content: textOf(message), tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) };
  }
  return { role, content: textOf(message) };
}

/** Text generation on Cloudflare Workers AI's REST run endpoint (messages form). */
export class WorkersAiTextModel extends UpstreamModel implements TextGenerationModel {
  /** What the run endpoint's text models take; tools where the model does function calling (no tool_choice). */
  readonly honours: ReadonlySet<GenerationOption>;
  readonly #run = this.endpoint(this.upstreamModel);

  constructor(model: ModelSpec, config: UpstreamConfig, options: { toolCalling: boolean }) {
    super(model, config);
    this.honours = new Set<GenerationOption>(['topP', 'topK', 'presencePenalty', 'frequencyPenalty', 'user', 'safetyIdentifier', ...(options.toolCalling ? (['tools'] as const) : [])]);
  }

  #upstreamRequest(request: TextGenerationRequest, stream: boolean): UpstreamRequest {
    if (request.messages.some((message) => message.content.some((part) => part.type !== 'text'))) {
      throw new ProviderError('invalid_request', `${this.upstreamModel} accepts text only`, { param: 'input' });
    }
    const format = request.responseFormat;
    return this.#run.request(
      {
        messages: request.messages.map(toRunMessage),
        ...(request.tools?.length
          ? { tools: request.tools.map((tool) => ({ name: tool.name, description: tool.description ?? '', parameters: tool.parameters ?? { type: 'object', properties: {} } })) }
          : {}),
        ...(request.maxOutputTokens === undefined ? {} : { max_tokens: request.maxOutputTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.topP === undefined ? {} : { top_p: request.topP }),
        ...(request.topK === undefined ? {} : { top_k: request.topK }),
        ...(request.presencePenalty === undefined ? {} : { presence_penalty: request.presencePenalty }),
        ...(request.frequencyPenalty === undefined ? {} : { frequency_penalty: request.frequencyPenalty }),
        ...(format.type === 'json_object' ? { response_format: { type: 'json_object' } } : {}),
        ...(format.type === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: format.schema } } : {}),
        ...(stream ? { stream: true } : {}),
      },
      request.signal,
    );
  }

  async generate(request: TextGenerationRequest): Promise<TextGenerationResult> {
    const upstream = this.#upstreamRequest(request, false);
    const { result } = this.#run.parse(await exchangeJson(upstream), runResultSchema, 'an unexpected result');
    if (!result) throw new ProviderError('bad_gateway', `${this.config.name} sent an unexpected result`);
    const { response: output, usage, tool_calls: calls } = result;
    const text = typeof output === 'string' ? output : output === undefined || output === null ? '' : JSON.stringify(output);
    const maxTokens = request.maxOutputTokens;
    const mappedUsage = usage ? mapUsage(usage) : estimateUsage(request.messages, text);
    const toolCalls = (calls ?? []).map((call) => ({
      id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
    }));
    // The run endpoint reports no finish reason: hitting the token budget exactly means it was cut.
    const finishReason: FinishReason = toolCalls.length > 0 ? 'tool_calls' : maxTokens !== undefined && mappedUsage.outputTokens >= maxTokens ? 'length' : 'stop';
    return { text, toolCalls, finishReason, usage: mappedUsage };
  }

  async *stream(request: TextGenerationRequest): AsyncGenerator<TextStreamPart> {
    // Function calling answers whole, never streamed: relay it as the parts a stream would give.
    if (request.tools?.length) {
      const result = await this.generate(request);
      if (result.text) yield { type: 'text-delta', text: result.text };
      for (const [index, call] of result.toolCalls.entries()) yield { type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
      yield { type: 'finish', finishReason: result.finishReason, usage: result.usage };
      return;
    }
    const upstream = this.#upstreamRequest(request, true);
    const response = await postUpstreamJson(upstream);
    yield { type: 'start' };
    let usage: TextUsage | undefined;
    let finishReason: FinishReason | undefined;
    let text = '';
    for await (const data of readSseData(response.body, upstream)) {
      if (data === '[DONE]') break;
      const frame = parseJsonFrame(data, upstream.upstreamName) as { object?: unknown };
      let delta: string | null | undefined;
      // Some newer models emit OpenAI chunks on /ai/run; usage still comes from the final native frame.
      if (frame.object === 'chat.completion.chunk') {
        const chunk = chatChunkSchema.safeParse(frame);
        const choice = chunk.success ? chunk.data.choices?.[0] : undefined;
        delta = choice?.delta?.content;
        if (choice?.finish_reason) finishReason = mapFinishReason(choice.finish_reason);
        if (chunk.success && chunk.data.usage) usage = mapUsage(chunk.data.usage);
      } else {
        const native = nativeFrameSchema.safeParse(frame);
        if (!native.success) continue;
        delta = native.data.response;
        if (native.data.usage) usage = mapUsage(native.data.usage);
      }
      if (delta) {
        text += delta;
        yield { type: 'text-delta', text: delta };
      }
    }
    const finalUsage = usage ?? estimateUsage(request.messages, text);
    const maxTokens = request.maxOutputTokens;
    finishReason ??= maxTokens !== undefined && finalUsage.outputTokens >= maxTokens ? 'length' : 'stop';
    yield { type: 'finish', finishReason, usage: finalUsage };
  }
}

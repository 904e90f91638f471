import { randomUUID } from 'node:crypto';
import {
  LlamaChat,
  LlamaCompletion,
  LlamaText,
  resolveChatWrapper,
  type ChatModelFunctions,
  type LlamaContextSequence,
  type LlamaGrammar,
  type Token,
} from 'node-llama-cpp';
import { createAsyncChannel } from './async-channel.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type { ModelLimits, ModelSpec } from '../spec/model-spec.ts';
import type {
  FinishReason,
  GenerationOption,
  ResponseFormat,
  TextGenerationModel,
  TextGenerationRequest,
  TextGenerationResult,
  TextStreamPart,
  ToolCall,
} from '../spec/text-generation.ts';
import { toChatFunctions, toChatHistory } from './chat-history.ts';
import { withFunctionCallForced } from './forced-function-call.ts';
import type { LlamaRuntime, LoadedLlamaModel } from './llama-runtime.ts';
import { renderPlainPrompt } from './prompt.ts';

const samplingOptions: GenerationOption[] = ['topP', 'topK', 'stop', 'presencePenalty', 'frequencyPenalty', 'user', 'safetyIdentifier'];
const toolOptions: GenerationOption[] = ['tools', 'toolChoice', 'parallelToolCalls'];

type Emit = (part: TextStreamPart) => void;

/** One request's generation on the sequence lent to it. */
interface Generation {
  loaded: LoadedLlamaModel;
  sequence: LlamaContextSequence;
  request: TextGenerationRequest;
  signal: AbortSignal;
  emit: Emit;
}

/**
 * A GGUF model run in-process by llama.cpp (on its own threads, never the event loop), one
 * context sequence per concurrent request. A model with a chat template is driven through
 * node-llama-cpp's chat wrapper, which also gives it function calling; a base model without one
 * continues plain text.
 */
export class LlamaTextModel implements TextGenerationModel {
  readonly provider: string;
  readonly modelId: string;
  readonly upstreamModel: string;
  readonly limits: ModelLimits;
  readonly honours: ReadonlySet<GenerationOption>;
  readonly #runtime: LlamaRuntime;
  readonly #filePath: string;

  constructor(model: ModelSpec, options: { runtime: LlamaRuntime; filePath: string; hasChatTemplate: boolean }) {
    ({ provider: this.provider, modelId: this.modelId, upstreamModel: this.upstreamModel, limits: this.limits } = model);
    this.#runtime = options.runtime;
    this.#filePath = options.filePath;
    this.honours = new Set([...samplingOptions, ...(options.hasChatTemplate ? toolOptions : [])]);
  }

  async generate(request: TextGenerationRequest): Promise<TextGenerationResult> {
    let text = '';
    const toolCalls: ToolCall[] = [];
    let finish: Extract<TextStreamPart, { type: 'finish' }> | undefined;
    for await (const part of this.stream(request)) {
      if (part.type === 'text-delta') text += part.text;
      else if (part.type === 'tool-call-delta') {
        const call = (toolCalls[part.index] ??= { id: part.id ?? '', name: part.name ?? '', arguments: '' });
        call.arguments += part.argumentsDelta;
      } else if (part.type === 'finish') finish = part;
    }
    return { text, toolCalls, finishReason: finish!.finishReason, usage: finish!.usage };
  }

  async *stream(request: TextGenerationRequest): AsyncGenerator<TextStreamPart> {
    const loaded = await this.#runtime.load(this.#filePath);
    this.#checkPromptBytes(request, loaded);
    const channel = createAsyncChannel<TextStreamPart>();
    // Stops the generation when the consumer goes away, even without the caller's signal.
    const stop = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
    const emit: Emit = (part) => channel.push(part);
    const run = loaded.sequences
      .use(request.projectId, async (sequence) => {
        try {
          const generation: Generation = { loaded, sequence, request, signal, emit };
          if (loaded.model.fileInfo.metadata.tokenizer?.chat_template) await this.#generateChat(generation);
          else await this.#generateCompletion(generation);
        } finally {
          // The next generation on this sequence starts from an empty context.
          await sequence.clearHistory();
        }
      }, signal)
      .then(() => channel.end(), (error: unknown) => channel.fail(error));
    try {
      yield* channel;
    } finally {
      stop.abort();
      await run;
    }
  }

  async #grammarFor(format: ResponseFormat): Promise<LlamaGrammar | undefined> {
    if (format.type === 'text') return undefined;
    const llama = await this.#runtime.llama();
    if (format.type === 'json_object') return llama.getGrammarFor('json');
    return this.#jsonSchemaGrammar(format.schema, 'response_format');
  }

  async #jsonSchemaGrammar(schema: unknown, param: string): Promise<LlamaGrammar> {
    const llama = await this.#runtime.llama();
    try {
      return await llama.createGrammarForJsonSchema(schema as never);
    } catch (error) {
      throw new ProviderError('invalid_request', `${param}: this JSON schema cannot be enforced by the local grammar: ${(error as Error).message}`, {
        param,
        cause: error,
      });
    }
  }

  /** Refuses, before it waits or is tokenized, a prompt too long for the context whatever its tokens. */
  #checkPromptBytes(request: TextGenerationRequest, loaded: LoadedLlamaModel): void {
    let bytes = 0;
    for (const message of request.messages) for (const part of message.content) if (part.type === 'text') bytes += Buffer.byteLength(part.text);
    if (bytes > loaded.maxPromptBytes) {
      throw new ProviderError(
        'invalid_request',
        `input: ${bytes} bytes of text; ${this.modelId} has a context of ${loaded.context.contextSize} tokens, which hold at most ${loaded.maxPromptBytes} bytes`,
        { param: 'input' },
      );
    }
  }

  #checkRoom(promptTokens: number, contextSize: number): number {
    const room = contextSize - promptTokens;
    if (room <= 0) {
      throw new ProviderError('invalid_request', `The input is ${promptTokens} tokens; ${this.modelId} has a context of ${contextSize}`, { param: 'input' });
    }
    return room;
  }

  /** Options both paths hand to llama.cpp's sampler. */
  #sampling(request: TextGenerationRequest) {
    return {
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.topP === undefined ? {} : { topP: request.topP }),
      ...(request.topK === undefined ? {} : { topK: request.topK }),
      ...(request.presencePenalty || request.frequencyPenalty
        ? { repeatPenalty: { presencePenalty: request.presencePenalty ?? 0, frequencyPenalty: request.frequencyPenalty ?? 0, penalty: 1 } }
        : {}),
    };
  }

  async #generateCompletion({ loaded: { model, context }, sequence, request, signal, emit }: Generation): Promise<void> {
    const promptTokens = model.tokenize(renderPlainPrompt(request.messages));
    const room = this.#checkRoom(promptTokens.length, context.contextSize);
    const grammar = await this.#grammarFor(request.responseFormat);
    // Started only once nothing about the request can be refused: a refusal is its status, not a stream's error.
    emit({ type: 'start' });
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let outputTokens = 0;
    try {
      const result = await completion.generateCompletionWithMeta(promptTokens as Token[], {
        maxTokens: Math.min(request.maxOutputTokens ?? room, room),
        ...this.#sampling(request),
        ...(grammar ? { grammar } : {}),
        ...(request.stop?.length ? { customStopTriggers: request.stop.map((trigger) => LlamaText(trigger)) } : {}),
        signal,
        onToken: (tokens) => (outputTokens += tokens.length),
        onTextChunk: (text) => emit({ type: 'text-delta', text }),
      });
      const finishReason: FinishReason = result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
      emit({ type: 'finish', finishReason, usage: { inputTokens: promptTokens.length, outputTokens } });
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }

  async #generateChat({ loaded: { model, context }, sequence, request, signal, emit }: Generation): Promise<void> {
    const choice = request.toolChoice ?? { type: 'auto' };
    const offered = choice.type === 'none' ? [] : (request.tools ?? []).filter((tool) => choice.type !== 'function' || tool.name === choice.name);
    if (choice.type === 'function' && offered.length === 0) {
      throw new ProviderError('invalid_request', `tool_choice: no tool named "${choice.name}" is in tools`, { param: 'tool_choice' });
    }
    // Every parameter schema must compile to a grammar before anything is generated.
    for (const tool of offered) if (tool.parameters) await this.#jsonSchemaGrammar(tool.parameters, 'tools');
    const functions: ChatModelFunctions | undefined = offered.length > 0 ? toChatFunctions(offered) : undefined;
    const forced = functions !== undefined && (choice.type === 'required' || choice.type === 'function');
    if (forced && request.responseFormat.type !== 'text') {
      throw new ProviderError('invalid_request', 'response_format: a forced tool call and a structured text format cannot both apply', { param: 'response_format' });
    }

    const resolved = resolveChatWrapper(model);
    const chatWrapper = forced ? withFunctionCallForced(resolved) : resolved;
    const history = toChatHistory(request.messages);
    const rendered = chatWrapper.generateContextState({ chatHistory: history, ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}) });
    const promptTokens = rendered.contextText.tokenize(model.tokenizer).length;
    const room = this.#checkRoom(promptTokens, context.contextSize);
    const grammar = await this.#grammarFor(request.responseFormat);
    emit({ type: 'start' });

    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    const callIndexes = new Map<number, number>();
    let outputTokens = 0;
    try {
      const common = {
        maxTokens: Math.min(request.maxOutputTokens ?? room, room),
        ...this.#sampling(request),
        ...(request.stop?.length ? { customStopTriggers: request.stop } : {}),
        signal,
        onToken: (tokens: Token[]) => (outputTokens += tokens.length),
        onTextChunk: (text: string) => emit({ type: 'text-delta', text }),
      };
      const result = functions
        ? await chat.generateResponse(history, {
            ...common,
            functions,
            documentFunctionParams: true,
            ...(request.parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
            onFunctionCallParamsChunk: (chunk) => {
              let index = callIndexes.get(chunk.callIndex);
              const opening = index === undefined;
              if (index === undefined) callIndexes.set(chunk.callIndex, (index = callIndexes.size));
              emit({
                type: 'tool-call-delta',
                index,
                ...(opening ? { id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name: chunk.functionName } : {}),
                argumentsDelta: chunk.paramsChunk,
              });
            },
          })
        : await chat.generateResponse(history, { ...common, ...(grammar ? { grammar } : {}) });
      const stopReason = result.metadata.stopReason;
      const finishReason: FinishReason = stopReason === 'functionCalls' || callIndexes.size > 0 ? 'tool_calls' : stopReason === 'maxTokens' ? 'length' : 'stop';
      emit({ type: 'finish', finishReason, usage: { inputTokens: promptTokens, outputTokens } });
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }
}

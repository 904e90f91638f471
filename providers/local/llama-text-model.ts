import { LlamaCompletion, LlamaText, type LlamaContextSequence, type LlamaGrammar, type Token } from 'node-llama-cpp';
import { createAsyncChannel } from '../spec/async-channel.ts';
import { ProviderError } from '../spec/provider-error.ts';
import type {
  FinishReason,
  GenerationOption,
  ResponseFormat,
  TextGenerationModel,
  TextGenerationRequest,
  TextGenerationResult,
  TextStreamPart,
} from '../spec/text-generation.ts';
import type { LlamaRuntime, LoadedLlamaModel } from './llama-runtime.ts';
import { renderPrompt } from './prompt.ts';

/** A GGUF model run in-process by llama.cpp, one context sequence per concurrent request. */
export class LlamaTextModel implements TextGenerationModel {
  /** Sampling options llama.cpp applies; tools need a chat template this runtime does not drive yet. */
  readonly honours: ReadonlySet<GenerationOption> = new Set<GenerationOption>(['topP', 'topK', 'stop', 'presencePenalty', 'frequencyPenalty', 'user', 'safetyIdentifier']);
  readonly #runtime: LlamaRuntime;
  readonly #filePath: string;
  readonly #modelId: string;

  constructor(options: { runtime: LlamaRuntime; filePath: string; modelId: string }) {
    this.#runtime = options.runtime;
    this.#filePath = options.filePath;
    this.#modelId = options.modelId;
  }

  async generate(request: TextGenerationRequest): Promise<TextGenerationResult> {
    let text = '';
    let finish: Extract<TextStreamPart, { type: 'finish' }> | undefined;
    for await (const part of this.stream(request)) {
      if (part.type === 'text-delta') text += part.text;
      else if (part.type === 'finish') finish = part;
    }
    return { text, toolCalls: [], finishReason: finish!.finishReason, usage: finish!.usage };
  }

  async *stream(request: TextGenerationRequest): AsyncGenerator<TextStreamPart> {
    const loaded = await this.#runtime.load(this.#filePath);
    const channel = createAsyncChannel<TextStreamPart>();
    // Stops the generation when the consumer goes away, even without the caller's signal.
    const stop = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
    const run = loaded.sequences
      .use((sequence) => this.#generate(loaded, sequence, request, signal, (part) => channel.push(part)), signal)
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
    try {
      return await llama.createGrammarForJsonSchema(format.schema as never);
    } catch (error) {
      throw new ProviderError('invalid_request', `This JSON schema cannot be enforced by the local grammar: ${(error as Error).message}`, {
        param: 'response_format',
        cause: error,
      });
    }
  }

  async #generate(
    loaded: LoadedLlamaModel,
    sequence: LlamaContextSequence,
    request: TextGenerationRequest,
    signal: AbortSignal,
    emit: (part: TextStreamPart) => void,
  ): Promise<void> {
    const { model, context } = loaded;
    const prompt = renderPrompt(model, request.messages);
    const promptTokens = typeof prompt.text === 'string' ? model.tokenize(prompt.text) : prompt.text.tokenize(model.tokenizer);
    const room = context.contextSize - promptTokens.length;
    if (room <= 0) {
      throw new ProviderError('invalid_request', `The input is ${promptTokens.length} tokens; ${this.#modelId} has a context of ${context.contextSize}`, {
        param: 'input',
      });
    }
    const grammar = await this.#grammarFor(request.responseFormat);
    const stopTriggers = [...prompt.stopTriggers, ...(request.stop ?? [])];
    const maxTokens = Math.min(request.maxOutputTokens ?? room, room);

    const completion = new LlamaCompletion({ contextSequence: sequence });
    let outputTokens = 0;
    try {
      const result = await completion.generateCompletionWithMeta(promptTokens as Token[], {
        maxTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.topP === undefined ? {} : { topP: request.topP }),
        ...(request.topK === undefined ? {} : { topK: request.topK }),
        ...(request.presencePenalty || request.frequencyPenalty
          ? { repeatPenalty: { presencePenalty: request.presencePenalty ?? 0, frequencyPenalty: request.frequencyPenalty ?? 0, penalty: 1 } }
          : {}),
        ...(grammar ? { grammar } : {}),
        ...(stopTriggers.length > 0 ? { customStopTriggers: stopTriggers.map((trigger) => LlamaText(trigger)) } : {}),
        signal,
        onToken: (tokens) => (outputTokens += tokens.length),
        onTextChunk: (text) => emit({ type: 'text-delta', text }),
      });
      const finishReason: FinishReason = result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
      emit({ type: 'finish', finishReason, usage: { inputTokens: promptTokens.length, outputTokens } });
    } finally {
      completion.dispose({ disposeSequence: false });
      // The next generation on this sequence starts from an empty context.
      await sequence.clearHistory();
    }
  }
}

import type { CallScope } from './call-scope.ts';
import type { ModelSpec } from './model-spec.ts';

/** The provider-side contract for text generation; every adapter implements it. */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high' | undefined };

/** A function the model asked to call: `arguments` is the JSON text it produced. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: ContentPart[];
  /** An assistant turn that called tools (its content may be empty). */
  toolCalls?: ToolCall[] | undefined;
  /** A tool turn: the call this message answers. */
  toolCallId?: string | undefined;
}

/** A function the model may call, described by a JSON schema of its arguments. */
export interface FunctionTool {
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
  strict?: boolean | undefined;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'function'; name: string };

/**
 * Options beyond prompt, temperature, length, seed and format. Each adapter states which it
 * honours (`TextGenerationModel.honours`); a request that sets one it does not honour, to
 * anything but its neutral value, is refused with a 400 naming the field, never ignored.
 */
export interface GenerationOptions {
  topP?: number | undefined;
  topK?: number | undefined;
  stop?: string[] | undefined;
  presencePenalty?: number | undefined;
  frequencyPenalty?: number | undefined;
  logitBias?: Record<string, number> | undefined;
  logprobs?: boolean | undefined;
  topLogprobs?: number | undefined;
  tools?: FunctionTool[] | undefined;
  toolChoice?: ToolChoice | undefined;
  parallelToolCalls?: boolean | undefined;
  /** The caller's end-user id, passed on for the provider's abuse monitoring. */
  user?: string | undefined;
  /** OpenAI's successor to `user`: a stable id of the end user, for the same monitoring. */
  safetyIdentifier?: string | undefined;
  /** Reasoning models: how much to think, how long to answer, which prompt cache to share. */
  reasoningEffort?: string | undefined;
  verbosity?: string | undefined;
  promptCacheKey?: string | undefined;
}
export type GenerationOption = keyof GenerationOptions;

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | undefined };

export interface TextGenerationRequest extends GenerationOptions, CallScope {
  messages: ChatMessage[];
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
  seed?: number | undefined;
  responseFormat: ResponseFormat;
}

export interface TextUsage {
  inputTokens: number;
  outputTokens: number;
  /** Of the input, what the upstream read from its prompt cache, when it says. */
  cachedInputTokens?: number;
  /** Of the output, what the model spent reasoning, when it says. */
  reasoningTokens?: number;
  /** Counted by the service (the model reported no usage), not by the model; its usage record says so. */
  estimated?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** Log probabilities as an OpenAI-compatible upstream reports them (`choices[].logprobs`), relayed as they are. */
export type Logprobs = { content: unknown[] | null; refusal?: unknown[] | null };

export interface TextGenerationResult {
  text: string;
  toolCalls: ToolCall[];
  logprobs?: Logprobs | undefined;
  finishReason: FinishReason;
  usage: TextUsage;
}

export type TextStreamPart =
  /**
   * The provider accepted the request and output will follow: lets the answer's stream start
   * (headers, role chunk, `response.created`) before the first token. Optional for adapters.
   */
  | { type: 'start' }
  | { type: 'text-delta'; text: string; logprobs?: Logprobs | undefined }
  /** A piece of the `index`th tool call: its id and name come first, its arguments in pieces. */
  | { type: 'tool-call-delta'; index: number; id?: string | undefined; name?: string | undefined; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason; usage: TextUsage };

export interface TextGenerationModel extends ModelSpec {
  /** The options of GenerationOptions this model applies. */
  readonly honours: ReadonlySet<GenerationOption>;
  generate(request: TextGenerationRequest): Promise<TextGenerationResult>;
  /** Deltas as they are produced, ending with exactly one `finish` part. */
  stream(request: TextGenerationRequest): AsyncIterable<TextStreamPart>;
}

/** The provider-side contract for text generation; every adapter implements it. */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high' | undefined };

export interface ChatMessage {
  role: ChatRole;
  content: ContentPart[];
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | undefined };

export interface TextGenerationRequest {
  messages: ChatMessage[];
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
  seed?: number | undefined;
  responseFormat: ResponseFormat;
  /** Aborts the upstream call or the local generation at once. */
  signal?: AbortSignal | undefined;
}

export interface TextUsage {
  inputTokens: number;
  outputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter';

export interface TextGenerationResult {
  text: string;
  finishReason: FinishReason;
  usage: TextUsage;
}

export type TextStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; finishReason: FinishReason; usage: TextUsage };

export interface TextGenerationModel {
  generate(request: TextGenerationRequest): Promise<TextGenerationResult>;
  /** Deltas as they are produced, ending with exactly one `finish` part. */
  stream(request: TextGenerationRequest): AsyncIterable<TextStreamPart>;
}

/** The text of a message's text parts, joined. */
export function textOf(message: ChatMessage): string {
  return message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

/**
 * For upstreams that do not report usage: about four characters a token, so a missing count
 * never bills as zero.
 */
export function estimateUsage(messages: ChatMessage[], outputText: string): TextUsage {
  const inputCharacters = messages.reduce((sum, message) => sum + textOf(message).length, 0);
  return { inputTokens: Math.ceil(inputCharacters / 4), outputTokens: Math.ceil(outputText.length / 4) };
}

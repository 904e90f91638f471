import { ApiError } from '../../router/errors.ts';
import type { Services } from '../../router/context.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import type {
  TextGenerationRequest,
  TextGenerationResult,
  TextStreamPart,
} from '../../providers/spec/text-generation.ts';
import { findModelOrThrow } from '../models.ts';
import type { TextArgs } from './text-args.ts';

interface PreparedText {
  entry: ModelEntry;
  request: TextGenerationRequest;
}

function resolveModelId(args: TextArgs, services: Services): string {
  if (args.model) return args.model;
  const fallback = services.config.defaultTextModel ?? services.catalog.list({ capability: 'text_generation' }).find((entry) => entry.available)?.id;
  if (!fallback) {
    throw new ApiError('bad_request', 'model: required, as this deployment has no default text model', { param: 'model' });
  }
  return fallback;
}

/** Resolves the model and checks that it can take this request, before any work starts. */
function prepareText(args: TextArgs, services: Services, signal: AbortSignal | undefined): PreparedText {
  const entry = findModelOrThrow(services.catalog, resolveModelId(args, services));
  if (!entry.capabilities.includes('text_generation')) {
    throw new ApiError('bad_request', `model: ${entry.id} does not generate text (capabilities: ${entry.capabilities.join(', ')})`, {
      param: 'model',
    });
  }
  const hasImages = args.messages.some((message) => message.content.some((part) => part.type === 'image'));
  if (hasImages && !entry.input_modalities.includes('image')) {
    throw new ApiError('bad_request', `input: ${entry.id} accepts text only, and the input holds an image`, { param: 'input' });
  }
  const messages = args.instructions
    ? [{ role: 'system' as const, content: [{ type: 'text' as const, text: args.instructions }] }, ...args.messages]
    : args.messages;
  return {
    entry,
    request: {
      messages,
      temperature: args.temperature,
      maxOutputTokens: args.maxOutputTokens,
      seed: args.seed,
      responseFormat: args.responseFormat,
      signal,
    },
  };
}

export async function generateText(args: TextArgs, services: Services, signal: AbortSignal | undefined) {
  const { entry, request } = prepareText(args, services, signal);
  const result: TextGenerationResult = await services.providers.textModel(entry).generate(request);
  return { entry, result };
}

export interface StartedTextStream {
  entry: ModelEntry;
  parts: AsyncIterable<TextStreamPart>;
}

/**
 * Starts generating and waits for the first part, so that a failure to start (unknown model,
 * upstream 429) is still an ordinary error response rather than an event in a 200 stream.
 */
export async function startTextStream(args: TextArgs, services: Services, signal: AbortSignal | undefined): Promise<StartedTextStream> {
  if (args.async) throw new ApiError('bad_request', 'stream: cannot be combined with async', { param: 'stream' });
  const { entry, request } = prepareText(args, services, signal);
  const iterator = services.providers.textModel(entry).stream(request)[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* parts(): AsyncGenerator<TextStreamPart> {
    try {
      if (!first.done) yield first.value;
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { entry, parts: parts() };
}

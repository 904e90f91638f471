import { ApiError } from '../../router/errors.ts';
import type { Services } from '../../router/context.ts';
import { checkAffordable, firstPart, openCharge, runCharged, whenRecorded, type Charge, type Units } from '../../accounts/billing.ts';
import { scopeOf, type CallContext } from '../../router/context.ts';
import type { CallScope } from '../../providers/spec/call-scope.ts';
import type { ModelEntry } from '../../schema/api/models.ts';
import type {
  TextGenerationRequest,
  TextGenerationResult,
  TextStreamPart,
} from '../../providers/spec/text-generation.ts';
import type { GenerationOption } from '../../providers/spec/text-generation.ts';
import { isOptionSet } from '../../providers/common/generation-options.ts';
import { textChargeRequest, unitsOf } from './text-billing.ts';
import { countAbandoned } from './abandoned-usage.ts';
import { resolveModelFor } from '../models.ts';
import type { TextArgs } from './text-args.ts';

interface PreparedText {
  entry: ModelEntry;
  request: TextGenerationRequest;
}

/** Resolves the model and checks that it can take this request, before any work starts. */
function prepareText(args: TextArgs, services: Services, scope: CallScope): PreparedText {
  const entry = resolveModelFor(services.catalog, 'text_generation', args.model, services.config.defaultTextModel);
  const hasImages = args.messages.some((message) => message.content.some((part) => part.type === 'image'));
  if (hasImages && !entry.input_modalities.includes('image')) {
    throw new ApiError('bad_request', `input: ${entry.id} accepts text only, and the input holds an image`, { param: 'input' });
  }
  if (isOptionSet(args.options, 'tools') && !entry.capabilities.includes('tool_calling')) {
    throw new ApiError('bad_request', `tools: ${entry.id} cannot call tools (the catalog lists tool_calling where a model can)`, { param: 'tools' });
  }
  const honours = services.providers.resolve('text_generation', entry.id).honours;
  for (const option of Object.keys(args.options) as GenerationOption[]) {
    if (!isOptionSet(args.options, option) || honours.has(option)) continue;
    const param = args.fields[option] ?? option;
    const what = option === 'tools' || option === 'toolChoice' || option === 'parallelToolCalls' ? 'cannot call tools' : `does not apply ${param}`;
    throw new ApiError('bad_request', `${param}: ${entry.id} ${what}; leave it out or use a model that does`, { param });
  }
  const messages = args.instructions
    ? [{ role: 'system' as const, content: [{ type: 'text' as const, text: args.instructions }] }, ...args.messages]
    : args.messages;
  return {
    entry,
    request: {
      ...args.options,
      messages,
      temperature: args.temperature,
      maxOutputTokens: args.maxOutputTokens,
      seed: args.seed,
      responseFormat: args.responseFormat,
      ...scope,
    },
  };
}

/** For `async: true`: the checks a request must pass before it is accepted (model, input, balance). */
export async function checkTextRequest(primitive: string, args: TextArgs, ctx: CallContext): Promise<ModelEntry> {
  const { entry, request } = prepareText(args, ctx.services, { projectId: ctx.principal.projectId });
  await checkAffordable(ctx, textChargeRequest(primitive, entry, request));
  return entry;
}

export async function generateText(primitive: string, args: TextArgs, ctx: CallContext) {
  const { entry, request } = prepareText(args, ctx.services, scopeOf(ctx));
  const result = await runCharged(
    ctx,
    textChargeRequest(primitive, entry, request),
    () => ctx.services.providers.resolve('text_generation', entry.id).generate(request),
    (generated) => unitsOf(generated.usage),
  );
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
export async function startTextStream(primitive: string, args: TextArgs, ctx: CallContext): Promise<StartedTextStream> {
  if (args.async) throw new ApiError('bad_request', 'stream: cannot be combined with async', { param: 'stream' });
  const { entry, request } = prepareText(args, ctx.services, scopeOf(ctx));
  const charge = await openCharge(ctx, textChargeRequest(primitive, entry, request));
  const iterator = ctx.services.providers.resolve('text_generation', entry.id).stream(request)[Symbol.asyncIterator]();
  const first = await firstPart(iterator, charge);
  const countUnfinished = (generated: string) => countAbandoned(ctx.services.providers, entry.id, request, generated, ctx.principal.projectId);
  return { entry, parts: settleWhenDone(first, iterator, charge, countUnfinished, ctx.signal) };
}

/**
 * Relays the parts and settles the charge however the stream ends: the reported usage when it
 * finishes; otherwise (client gone, upstream broke off) the input and what was generated so far,
 * counted before the stream lets go (so a draining process still records it).
 */
async function* settleWhenDone(
  first: IteratorResult<TextStreamPart>,
  iterator: AsyncIterator<TextStreamPart>,
  charge: Charge,
  countUnfinished: (generated: string) => Promise<Units>,
  signal: AbortSignal | undefined,
): AsyncGenerator<TextStreamPart> {
  let generated = '';
  let finished = false;
  try {
    let current = first;
    while (!current.done) {
      const part = current.value;
      if (part.type === 'text-delta') generated += part.text;
      else if (part.type === 'tool-call-delta') generated += part.argumentsDelta;
      else if (part.type === 'finish') {
        finished = true;
        // The end of the stream goes out once its usage record is written.
        await whenRecorded(charge.settle(unitsOf(part.usage), 'succeeded'));
      }
      yield part;
      current = await iterator.next();
    }
  } finally {
    const status = signal?.aborted ? 'disconnected' : 'failed';
    try {
      // Counted and settled first: an upstream that never lets go must not leave the charge open.
      if (!finished) void charge.settle(await countUnfinished(generated), status);
    } finally {
      await iterator.return?.();
    }
  }
}

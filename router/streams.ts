import type { z } from 'zod';
import { scopedProcedure } from './auth.ts';
import type { Scope } from './scopes.ts';
import type { CallContext } from './twin-routes.ts';

/**
 * The streaming variant of a primitive: a tRPC subscription yielding the tree's wire events.
 * Typed clients subscribe to it directly; `server/sse-routes.ts` serves the same generator as
 * server-sent events on the REST path when a request says `stream: true`.
 */
export function defineStream<TInput extends z.ZodObject, TEvent>(definition: {
  scope: Scope;
  input: TInput;
  run: (input: z.output<TInput>, ctx: CallContext) => Promise<AsyncIterable<TEvent>>;
}) {
  return scopedProcedure(definition.scope)
    .meta({ scope: definition.scope })
    .input(definition.input)
    .subscription(async function* (opts): AsyncGenerator<TEvent> {
      const ctx: CallContext = { ...opts.ctx, signal: opts.signal ?? opts.ctx.signal };
      yield* await definition.run(opts.input as z.output<TInput>, ctx);
    });
}

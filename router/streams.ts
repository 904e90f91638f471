import type { z } from 'zod';
import { scoped } from './auth.ts';
import { baseProcedure } from './trpc.ts';
import type { CallContext } from './context.ts';
import type { Scope } from '../accounts/scopes.ts';
import type { Framing, MultipartDeclaration } from './transport.ts';

/**
 * The streaming variant of a primitive: a tRPC subscription yielding the tree's wire events.
 * Typed clients subscribe to it directly; the request pipeline (server/http/) serves it as
 * server-sent events on `path` when a REST request says `stream: true`.
 */
export function defineStream<TInput extends z.ZodObject, TEvent>(definition: {
  scope: Scope;
  path: `/${string}`;
  framing: Framing;
  input: TInput;
  /** The same upload the route's create procedure takes, when the stream is asked for in a multipart form. */
  multipart?: MultipartDeclaration;
  run: (input: z.output<TInput>, ctx: CallContext) => Promise<AsyncIterable<TEvent>>;
}) {
  return baseProcedure
    .meta({
      scope: definition.scope,
      envelope: 'none',
      transport: {
        method: 'POST',
        path: definition.path,
        input: definition.input,
        sse: { framing: definition.framing },
        ...(definition.multipart ? { multipart: definition.multipart } : {}),
      },
    })
    .input(definition.input)
    .subscription(
      scoped(definition.scope, async function* (opts): AsyncGenerator<TEvent> {
        const ctx: CallContext = { ...opts.ctx, signal: opts.signal ?? opts.ctx.signal };
        yield* await definition.run(opts.input as z.output<TInput>, ctx);
      }),
    );
}

import { z } from 'zod';
import { router } from '../router/trpc.ts';
import { defineDeleteRoute, defineMutationRoute, defineQueryRoute } from '../router/primitive.ts';
import { ApiError } from '../router/errors.ts';
import type { CallContext } from '../router/context.ts';
import { responseObjectSchema, type ResponseObject } from '../schema/api/responses.ts';
import { deleteStoredResponse, findStoredResponse } from '../schema/db/queries/stored-responses.ts';
import { operationIdOf, unknownResponse } from './text/stored-responses.ts';

const responseIdSchema = z.strictObject({ response_id: z.string().min(1) });
const errors = [401, 403, 404, 429];

async function storedOrThrow(id: string, ctx: CallContext) {
  const stored = await findStoredResponse(ctx.services.db, ctx.principal.projectId, id);
  if (!stored) throw unknownResponse(id);
  return stored;
}

/** A background response as its operation stands now: queued, in progress, done, failed or cancelled. */
async function currentResponse(id: string, ctx: CallContext): Promise<ResponseObject> {
  const response = (await storedOrThrow(id, ctx)).response as ResponseObject;
  const operationId = operationIdOf(id);
  if (!response.background || !operationId || (response.status !== 'queued' && response.status !== 'in_progress')) return response;
  const operation = await ctx.services.operations.find(ctx.principal.projectId, operationId);
  switch (operation?.status) {
    case 'processing':
      return { ...response, status: 'in_progress' };
    case 'succeeded':
      return (operation.result as ResponseObject | null) ?? response;
    case 'failed': {
      const error = operation.error as { code: string; message: string } | null;
      return { ...response, status: 'failed', error: error ?? { code: 'internal_error', message: 'The background run failed' } };
    }
    case 'cancelled':
      return { ...response, status: 'cancelled' };
    default:
      return response;
  }
}

const retrieve = defineQueryRoute({
  scope: 'ai:read',
  tag: 'Responses',
  errorStatuses: errors,
  run: currentResponse,
  route: {
    path: '/v1/responses/{response_id}',
    summary: 'Get a stored response (OpenAI-compatible)',
    description: 'A response created with store left on (the default), as it was answered.',
    input: responseIdSchema,
    toArgs: (input) => input.response_id,
    output: responseObjectSchema,
    toOutput: (response) => response,
  },
});

const remove = defineDeleteRoute({
  scope: 'ai:generate',
  tag: 'Responses',
  errorStatuses: errors,
  run: async (id: string, ctx) => {
    if (!(await deleteStoredResponse(ctx.services.db, ctx.principal.projectId, id))) throw unknownResponse(id);
    return { id, object: 'response' as const, deleted: true as const };
  },
  route: {
    path: '/v1/responses/{response_id}',
    summary: 'Delete a stored response (OpenAI-compatible)',
    input: responseIdSchema,
    toArgs: (input) => input.response_id,
    output: z.object({ id: z.string(), object: z.literal('response'), deleted: z.literal(true) }),
    toOutput: (deleted) => deleted,
  },
});

const inputItemsQuerySchema = responseIdSchema
  .extend({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    after: z.string().min(1).optional(),
  })
  .meta({ examples: [{ limit: 20 }] });

const inputItems = defineQueryRoute({
  scope: 'ai:read',
  tag: 'Responses',
  errorStatuses: [400, ...errors],
  run: async (query: z.output<typeof inputItemsQuerySchema>, ctx) => {
    const items = (await storedOrThrow(query.response_id, ctx)).input_items as { id: string }[];
    const ordered = query.order === 'asc' ? items : [...items].reverse();
    const start = query.after ? ordered.findIndex((item) => item.id === query.after) + 1 : 0;
    const page = ordered.slice(start, start + query.limit);
    return { object: 'list' as const, data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + query.limit < ordered.length };
  },
  route: {
    path: '/v1/responses/{response_id}/input_items',
    summary: 'List the input items of a stored response (OpenAI-compatible)',
    input: inputItemsQuerySchema,
    toArgs: (input) => input,
    output: z.object({
      object: z.literal('list'),
      data: z.array(z.record(z.string(), z.unknown())),
      first_id: z.string().nullable(),
      last_id: z.string().nullable(),
      has_more: z.boolean(),
    }),
    toOutput: (list) => list,
  },
});

const cancel = defineMutationRoute({
  scope: 'ai:generate',
  tag: 'Responses',
  errorStatuses: [400, ...errors],
  run: async (id: string, ctx) => {
    const response = (await storedOrThrow(id, ctx)).response as ResponseObject;
    const operationId = operationIdOf(id);
    if (!response.background || !operationId) {
      throw new ApiError('bad_request', 'response_id: only responses created with background: true can be cancelled', { param: 'response_id' });
    }
    await ctx.services.operations.cancel(ctx.principal.projectId, operationId);
    return currentResponse(id, ctx);
  },
  route: {
    path: '/v1/responses/{response_id}/cancel',
    summary: 'Cancel a background response (OpenAI-compatible)',
    description: 'Stops a response created with background: true, wherever its run is; one that already ended is answered as it is.',
    input: responseIdSchema,
    toArgs: (input) => input.response_id,
    output: responseObjectSchema,
    toOutput: (response) => response,
  },
});

export const storedResponsesRouter = router({ retrieve, delete: remove, cancel, inputItems: router({ list: inputItems }) });

import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineNativeMutation, defineNativeQuery } from '../router/primitive.ts';
import type { z } from 'zod';
import { listOperationsInputSchema, operationIdInputSchema, operationListSchema, operationSchema } from '../schema/api/operations.ts';
import { toOperationWire } from '../schema/api/operation-wire.ts';
import { listProjectOperations } from '../schema/db/queries/operations.ts';

const notFound = (id: string) => new ApiError('not_found', `operation_id: no operation "${id}" in this project`, { param: 'operation_id' });

const get = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Operations',
  errorStatuses: [401, 403, 404, 429],
  run: async (operationId: string, ctx) => {
    const operation = await ctx.services.operations.find(ctx.principal.projectId, operationId);
    if (!operation) throw notFound(operationId);
    return toOperationWire(operation);
  },
  route: {
    path: '/infra/ai/operations/{operation_id}',
    summary: 'Get operation',
    description: 'The state of a background operation: status, the time of each transition, usage, and the result or where it was written.',
    input: operationIdInputSchema,
    toArgs: (input) => input.operation_id,
    output: operationSchema,
    toOutput: (operation) => operation,
  },
});

const list = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Operations',
  errorStatuses: [400, 401, 403, 429],
  run: async (query: z.output<typeof listOperationsInputSchema>, ctx) => {
    const projectId = ctx.principal.projectId;
    if (query.after && !(await ctx.services.operations.find(projectId, query.after))) {
      throw new ApiError('bad_request', `after: no operation "${query.after}" in this project to page after`, { param: 'after' });
    }
    const rows = await listProjectOperations(ctx.services.db, { projectId, status: query.status, kind: query.kind, after: query.after, limit: query.limit });
    const page = rows.slice(0, query.limit).map(toOperationWire);
    return { object: 'list' as const, data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: rows.length > query.limit };
  },
  route: {
    path: '/infra/ai/operations',
    summary: 'List operations',
    description:
      "The project's operations, newest first, optionally only those with one status or of one kind. " +
      'Page with after: pass the last_id of a page to get the next one while has_more is true.',
    input: listOperationsInputSchema,
    toArgs: (input) => input,
    output: operationListSchema,
    toOutput: (page) => page,
  },
});

const cancel = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Operations',
  errorStatuses: [401, 403, 404, 409, 429],
  run: async (operationId: string, ctx) => {
    const cancelled = await ctx.services.operations.cancel(ctx.principal.projectId, operationId);
    if (cancelled.outcome === 'not_found') throw notFound(operationId);
    if (cancelled.outcome !== 'cancelled') {
      const { status } = cancelled.operation;
      const why = cancelled.outcome === 'finished' ? `has already ended (${status})` : 'is already storing its result';
      throw new ApiError('conflict', `operation_id: the operation ${why}; it can no longer be cancelled`, {
        param: 'operation_id',
        details: { status, completing: cancelled.outcome === 'completing' },
      });
    }
    return toOperationWire(cancelled.operation);
  },
  route: {
    path: '/infra/ai/operations/{operation_id}/cancel',
    summary: 'Cancel operation',
    description:
      'A queued or processing operation ends cancelled at once: a run in progress is aborted wherever it runs, and nothing it produces ' +
      'is stored or delivered. An operation that already ended, or whose result is already being stored, answers 409.',
    input: operationIdInputSchema,
    toArgs: (input) => input.operation_id,
    output: operationSchema,
    toOutput: (operation) => operation,
  },
});

export const operationsRouter = router({ list, get, cancel });

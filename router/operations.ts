import type { OperationWire } from '../schema/api/operations.ts';
import { toOperationWire } from '../schema/api/operation-wire.ts';
import { validateObjectKey } from '../providers/storage/storage-service.ts';
import type { CallContext } from './context.ts';

interface EnqueueRequest {
  kind: string;
  route: string;
  input: {
    model?: string | undefined;
    result_destination?: { bucket_id: string; key: string } | undefined;
    webhook_topic?: string | undefined;
  };
}

/**
 * Accepts an `async: true` request: checks what can be checked now (the destination belongs to
 * the caller), then stores the operation and its job in one transaction. The stored input runs
 * later through the same route definition, synchronously.
 */
export async function enqueueOperation(ctx: CallContext, request: EnqueueRequest): Promise<OperationWire> {
  const destination = request.input.result_destination;
  if (destination) {
    validateObjectKey(destination.key, 'result_destination.key');
    await ctx.services.storage.requireBucket(ctx.principal.projectId, destination.bucket_id, 'result_destination.bucket_id');
  }
  const operation = await ctx.services.operations.enqueue({
    projectId: ctx.principal.projectId,
    keyId: ctx.principal.keyId,
    kind: request.kind,
    route: request.route,
    model: request.input.model ?? null,
    input: { ...request.input, async: false },
    resultDestination: destination,
    webhookTopic: request.input.webhook_topic ?? null,
  });
  return toOperationWire(operation);
}

import type { Operation } from '../db/types.ts';
import type { OperationWire } from './operations.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** An operation row as callers see it. */
export function toOperationWire(operation: Operation): OperationWire {
  return {
    id: operation.id,
    object: 'ai.operation',
    kind: operation.kind,
    status: operation.status,
    model: operation.model,
    created_at: operation.created_at.toISOString(),
    queued_at: operation.queued_at.toISOString(),
    processing_at: iso(operation.processing_at),
    succeeded_at: iso(operation.succeeded_at),
    failed_at: iso(operation.failed_at),
    cancelled_at: iso(operation.cancelled_at),
    attempts: operation.attempts,
    usage: (operation.usage as Record<string, unknown> | null) ?? null,
    result: operation.result ?? null,
    result_destination: (operation.result_destination as OperationWire['result_destination']) ?? null,
    error: (operation.error as OperationWire['error']) ?? null,
    webhook_topic: operation.webhook_topic,
  };
}

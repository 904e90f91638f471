import type { Services } from '../router/context.ts';
import { findAsyncRoute } from '../router/async-routes.ts';
import { describeError } from '../router/errors.ts';
import { scopes } from '../router/scopes.ts';
import type { CallContext } from '../router/twin-routes.ts';
import type { OperationExecutor } from '../jobs/operation-worker.ts';
import type { Operation } from '../schema/db/types.ts';

const transientStatuses = new Set([429, 502, 503, 504]);

/**
 * Runs an operation through the route definition it was accepted by, as the caller's project,
 * exactly as the sync path would: same input schema, same run function, same output mapping.
 */
export function createOperationExecutor(services: Services): OperationExecutor {
  return {
    async execute(operation: Operation, signal: AbortSignal) {
      const route = findAsyncRoute(operation.route);
      if (!route) throw new Error(`No route definition for ${operation.route}`);
      const input = route.input.parse(operation.input);
      const ctx: CallContext = {
        services,
        requestId: operation.id,
        authorization: undefined,
        log: { route: operation.route, projectId: operation.project_id },
        signal,
        response: { headers: {} },
        background: true,
        principal: {
          projectId: operation.project_id,
          keyId: operation.key_id ?? `operation:${operation.id}`,
          scopes: new Set(scopes),
          limits: { requestsPerMinute: Number.MAX_SAFE_INTEGER, tokensPerMinute: Number.MAX_SAFE_INTEGER },
        },
      };
      const output = await route.execute(input as never, ctx);
      return { result: output, usage: route.usageOf?.(output) ?? null, model: route.modelOf?.(output) ?? null };
    },

    storeResult(operation: Operation, result: unknown) {
      const destination = operation.result_destination as { bucket_id: string; key: string };
      const route = findAsyncRoute(operation.route);
      return services.storage.writeResult(operation.project_id, destination, route ? route.storable(result) : { json: result });
    },

    describeFailure(error: unknown) {
      const described = describeError(error);
      return { code: described.code, message: described.message, retryable: transientStatuses.has(described.status) };
    },
  };
}

import type { AnyRouter } from '@trpc/server';
import type { Services } from '../router/context.ts';
import { ApiError, describeError, isRetryable } from '../router/errors.ts';
import { asyncRoutesByPath, callByPath, collectRoutes, dataOf } from '../router/route-table.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { backgroundContext } from '../router/background-context.ts';
import type { OperationExecutor } from '../jobs/operation-worker.ts';
import type { Operation } from '../schema/db/types.ts';

/**
 * Runs an operation through the procedure of the route it was accepted on, as the key that
 * submitted it, exactly as the sync path would: same auth middleware (scopes included), input
 * schema, run function, output mapping and billing. The routes come from the app router it is
 * given, so a worker process knows every primitive without loading anything else.
 */
export function createOperationExecutor(services: Services, appRouter: AnyRouter): OperationExecutor {
  const routes = asyncRoutesByPath(collectRoutes(appRouter));
  const createCaller = createCallerFactory(appRouter);
  const routeOf = (operation: Operation) => {
    const route = routes.get(operation.route);
    if (!route) throw new ApiError('bad_request', `route: ${operation.route} does not run in the background on this version`);
    return route;
  };

  return {
    async execute(operation: Operation, signal: AbortSignal) {
      const route = routeOf(operation);
      // Re-read the key: revoked after the operation was accepted means the run is refused.
      const principal = operation.key_id ? await services.keyStore.principalOfKey(operation.key_id) : undefined;
      if (!principal || principal.projectId !== operation.project_id) {
        throw new ApiError('unauthorized', 'The API key that submitted this operation was revoked');
      }
      const caller = createCaller(backgroundContext(services, principal, { id: operation.id, route: operation.route, signal }));
      const output = dataOf(route.meta.envelope, await callByPath(caller, route.procedurePath, operation.input));
      return { result: output, usage: route.background.usageOf?.(output) ?? null, model: route.background.modelOf?.(output) ?? null };
    },

    storeResult(operation: Operation, result: unknown) {
      const destination = operation.result_destination as { bucket_id: string; key: string };
      return services.storage.writeResult(operation.project_id, destination, routeOf(operation).background.storable(result));
    },

    describeFailure(error: unknown) {
      const described = describeError(error);
      return { code: described.code, message: described.message, retryable: isRetryable(error) };
    },
  };
}

import type { z } from 'zod';
import type { CallContext } from './twin-routes.ts';
import type { StorableResult } from '../procedures/storage/storage-service.ts';

/** What a background worker needs to run a route's primitive exactly as the sync path does. */
export interface AsyncRoute {
  kind: string;
  input: z.ZodObject;
  execute: (input: never, ctx: CallContext) => Promise<unknown>;
  usageOf?: (output: unknown) => Record<string, unknown> | null;
  modelOf?: (output: unknown) => string | null;
  storable: (output: unknown) => StorableResult;
}

/** Filled as the procedure modules load: route path → its definition. */
const asyncRoutes = new Map<string, AsyncRoute>();

export function registerAsyncRoute(path: string, route: AsyncRoute): void {
  asyncRoutes.set(path, route);
}

export function findAsyncRoute(path: string): AsyncRoute | undefined {
  return asyncRoutes.get(path);
}

import { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import type { RequestContext } from './context.ts';

/**
 * A procedure's own steps (admit, input schema, resolver) run without tRPC's middleware
 * plumbing, which copies the call's options and context at every step and built a caller proxy
 * per request: a tenth of a proxied call's CPU. The REST routes call procedures this way; tRPC
 * clients and the worker go through tRPC. Both run the same three steps, so they answer alike.
 */
export type DirectCall = (ctx: RequestContext, rawInput: unknown) => Promise<unknown>;

const directCalls = new WeakMap<object, DirectCall>();

export function registerDirectCall(procedure: object, call: DirectCall): void {
  directCalls.set(procedure, call);
}

export function directCallOf(procedure: object): DirectCall | undefined {
  return directCalls.get(procedure);
}

/** A schema's parse as tRPC runs it: synchronous unless the schema needs awaiting; failures are 400s. */
export async function parseLikeTrpc<T extends z.ZodType>(schema: T, value: unknown, onFailure: (cause: unknown) => TRPCError): Promise<z.output<T>> {
  try {
    return schema.parse(value);
  } catch (cause) {
    if (Array.isArray((cause as { issues?: unknown } | null)?.issues)) throw onFailure(cause);
  }
  try {
    return await schema.parseAsync(value);
  } catch (cause) {
    throw onFailure(cause);
  }
}

export const badInput = (cause: unknown) => new TRPCError({ code: 'BAD_REQUEST', cause });
export const badOutput = (cause: unknown) => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed', cause });

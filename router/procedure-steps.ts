import type { AnyProcedure } from '@trpc/server';
import { getParseFn, TRPCError } from '@trpc/server/unstable-core-do-not-import';
import type { CallContext } from './context.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A procedure's own steps as one call: what the request pipeline runs for a REST request. */
export type ProcedureSteps = (ctx: CallContext, rawInput: unknown, signal: AbortSignal) => Promise<unknown>;

interface ProcedureDefinition {
  type: 'query' | 'mutation' | 'subscription';
  inputs: unknown[];
  output?: unknown;
  meta?: unknown;
  middlewares: { _type?: string }[];
  resolver: (opts: object) => unknown;
}

/**
 * A procedure's steps exactly as tRPC's own caller runs them for `/trpc` and the worker: its
 * input parser (a failure is tRPC's BAD_REQUEST with the zod error as its cause), its resolver,
 * and its output parser when it has one (primitives have none: router/primitive.ts checks a
 * sample of their answers itself). Run as one function rather than through tRPC's middleware
 * chain, which copies the call's options at every step: ~12 µs of CPU per call under load, about
 * a tenth of a proxied chat completion. Procedures carry no middleware of their own (the pipeline
 * admits the request; resolvers check their scope), and one that does is refused when the routes
 * are built, so nothing tRPC would run is skipped here.
 */
export function procedureSteps(procedure: AnyProcedure, path: string): ProcedureSteps {
  const definition = procedure._def as unknown as ProcedureDefinition;
  const unknownStep = definition.middlewares.find((step) => step._type !== 'input' && step._type !== 'output' && step !== definition.middlewares.at(-1));
  if (unknownStep) throw new Error(`${path}: a procedure with a middleware of its own cannot be served (the request pipeline admits every call)`);
  const parseInputs = definition.inputs.map((parser) => getParseFn(parser as never));
  const validatesOutput = definition.middlewares.some((step) => step._type === 'output');
  const parseOutput = validatesOutput && definition.output ? getParseFn(definition.output as never) : undefined;
  const { type, meta, resolver } = definition;

  return async (ctx, rawInput, signal) => {
    // Each input parser reads the raw input; object results merge, as tRPC's input steps do.
    let input: unknown;
    for (const parse of parseInputs) {
      let parsed: unknown;
      try {
        parsed = await parse(rawInput);
      } catch (cause) {
        throw new TRPCError({ code: 'BAD_REQUEST', cause });
      }
      input = isObject(input) && isObject(parsed) ? { ...input, ...parsed } : parsed;
    }
    const output = await resolver({ ctx, input, signal, path, type, meta, getRawInput: () => Promise.resolve(rawInput) });
    if (!parseOutput) return output;
    try {
      return await parseOutput(output);
    } catch (cause) {
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed', cause });
    }
  };
}

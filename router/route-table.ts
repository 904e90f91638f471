import type { AnyProcedure, AnyRouter } from '@trpc/server';
import type { ProcedureMeta } from './trpc.ts';
import type { BackgroundRoute, Envelope, TransportDeclaration } from './transport.ts';

/** One procedure of the app router, with what it declares about itself. */
export interface RouteEntry {
  /** The dotted tRPC path, e.g. `infra.ai.documents.parse`. */
  procedurePath: string;
  procedure: AnyProcedure;
  meta: ProcedureMeta;
}

/**
 * Every procedure of a router, in declaration order. The router is the explicit list of
 * primitives: the REST adapter, the generic transports, the OpenAPI document and the worker's
 * async registry are all read off it, so nothing depends on which modules happened to load.
 */
export function collectRoutes(router: AnyRouter): RouteEntry[] {
  // tRPC keeps a flat record of every procedure by dotted path.
  const procedures = router._def.procedures as Record<string, AnyProcedure>;
  return Object.entries(procedures).map(([procedurePath, procedure]) => ({
    procedurePath,
    procedure,
    meta: (procedure._def.meta ?? {}) as ProcedureMeta,
  }));
}

/** Routes with a transport beyond JSON (multipart, raw bytes, server-sent events). */
export function transportRoutes(routes: RouteEntry[]): (RouteEntry & { transport: TransportDeclaration })[] {
  return routes.flatMap((route) => (route.meta.transport ? [{ ...route, transport: route.meta.transport }] : []));
}

/** What the worker runs an operation with: its route's procedure, found by the REST path it was accepted on. */
export interface AsyncRouteEntry extends RouteEntry {
  background: BackgroundRoute;
  path: string;
}

export function asyncRoutesByPath(routes: RouteEntry[]): Map<string, AsyncRouteEntry> {
  const byPath = new Map<string, AsyncRouteEntry>();
  for (const route of routes) {
    const path = route.meta.openapi?.path;
    if (route.meta.background && path) byPath.set(path, { ...route, background: route.meta.background, path });
  }
  return byPath;
}

/** A procedure's answer without its native envelope: the data the route produced. */
export function dataOf(envelope: Envelope | undefined, answer: unknown): unknown {
  return envelope === 'native' ? (answer as { data: unknown }).data : answer;
}

/** Calls a procedure of a tRPC caller by its dotted path (the caller is a proxy keyed the same way). */
export function callByPath(caller: unknown, procedurePath: string, input: unknown): Promise<unknown> {
  const procedure = procedurePath.split('.').reduce<any>((node, key) => node[key], caller);
  return procedure(input);
}

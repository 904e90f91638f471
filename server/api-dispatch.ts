import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { match, type MatchFunction } from 'path-to-regexp';

/** One route of the API trees: its method, its path pattern (express syntax) and its handlers. */
export interface ApiRoute {
  method: string;
  path: string;
  handlers: RequestHandler[];
}

interface CompiledRoute extends ApiRoute {
  matches: MatchFunction<Record<string, string | string[]>>;
  static: boolean;
}

/** As express decodes parameters: a malformed escape is the caller's 400. */
function decodeParam(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw Object.assign(new Error(`Failed to decode param '${value}'`), { status: 400, statusCode: 400, expose: true });
  }
}

/** Whether a route answers a method the way express routes do: a GET route also answers HEAD. */
const answers = (route: ApiRoute, method: string) => route.method === method || (method === 'HEAD' && route.method === 'GET');

/** Express's route paths are case-insensitive and take one trailing slash. */
const staticKey = (method: string, path: string) => `${method} ${(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase()}`;

/**
 * The routes of the API trees behind one lookup instead of express's walk through every route:
 * static paths by a map, the few parameterised ones by their matchers. A request is offered to
 * every route that matches it, in the order given, each taking it or calling `next()`, exactly as
 * express would run them; what none of them takes goes on down the app.
 */
export function createApiDispatcher(routes: ApiRoute[]): RequestHandler {
  const compiled: CompiledRoute[] = routes.map((route) => ({
    ...route,
    matches: match(route.path, { decode: decodeParam, end: true, sensitive: false, trailing: true }),
    static: !/[:*]/.test(route.path),
  }));
  const parameterised = compiled.filter((route) => !route.static);
  // A static path's candidates, worked out once: every route matching that literal path.
  const byStaticPath = new Map<string, CompiledRoute[]>();
  for (const route of compiled) {
    if (!route.static) continue;
    for (const method of [route.method, ...(route.method === 'GET' ? ['HEAD'] : [])]) {
      const key = staticKey(method, route.path);
      if (!byStaticPath.has(key)) byStaticPath.set(key, compiled.filter((candidate) => answers(candidate, method) && candidate.matches(route.path)));
    }
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    let candidates = byStaticPath.get(staticKey(req.method, path));
    if (!candidates) {
      candidates = parameterised.filter((route) => answers(route, req.method) && route.matches(path));
      if (candidates.length === 0) return next();
    }
    const chosen = candidates;
    let routeIndex = 0;
    let handlerIndex = 0;
    let params: Record<string, string | string[]> = {};
    const step = (error?: unknown): void => {
      if (error && error !== 'route') return next(error);
      if (error === 'route') {
        routeIndex++;
        handlerIndex = 0;
      }
      while (routeIndex < chosen.length) {
        const route = chosen[routeIndex]!;
        if (handlerIndex < route.handlers.length) {
          try {
            if (handlerIndex === 0) {
              const found = route.static ? undefined : route.matches(path);
              params = found ? found.params : {};
            }
            req.params = params as Request['params'];
            const handler = route.handlers[handlerIndex++]!;
            const returned: unknown = handler(req, res, step);
            if (returned instanceof Promise) returned.catch((rejection: unknown) => step(rejection ?? new Error('Rejected promise')));
          } catch (thrown) {
            step(thrown);
          }
          return;
        }
        routeIndex++;
        handlerIndex = 0;
      }
      req.params = {};
      next();
    };
    step();
  };
}

import { decodeComponent } from './request-target.ts';

type Segment = { literal: string } | { param: string; greedy: boolean };

/** A path template (`/v1/models/{model_id}`) ready to match raw request paths. */
export interface PathPattern {
  template: string;
  segments: Segment[];
  isStatic: boolean;
}

/** `{name}` segments are parameters; `greedyParam` (the last one) may take further segments, slashes kept. */
export function compilePath(template: string, greedyParam?: string): PathPattern {
  const segments = template
    .split('/')
    .filter(Boolean)
    .map((part): Segment => {
      const param = /^\{(\w+)\}$/.exec(part)?.[1];
      return param ? { param, greedy: param === greedyParam } : { literal: part.toLowerCase() };
    });
  return { template, segments, isStatic: segments.every((segment) => 'literal' in segment) };
}

/** A raw path's segments: one trailing slash is allowed, as it always was. */
function splitPath(path: string): string[] {
  const parts = path.split('/');
  parts.shift();
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}

/**
 * The parameters of `parts` when they match `pattern`, each decoded (a malformed escape is the
 * caller's 400, naming the parameter); literals match in any case.
 */
function matchSegments(pattern: PathPattern, parts: string[]): Record<string, string> | undefined {
  const { segments } = pattern;
  const greedy = segments.at(-1);
  const takesRest = greedy !== undefined && 'param' in greedy && greedy.greedy;
  if (takesRest ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if ('literal' in segment && parts[index]!.toLowerCase() !== segment.literal) return undefined;
  }
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if ('literal' in segment) continue;
    // A greedy parameter takes the rest as sent, empty segments too: the procedure judges it.
    const raw = segment.greedy ? parts.slice(index).join('/') : parts[index]!;
    if (raw === '') return undefined;
    params[segment.param] = decodeComponent(raw, segment.param);
  }
  return params;
}

export interface Routable {
  method: string;
  pattern: PathPattern;
}

export type RouteMatch<R> = { route: R; params: Record<string, string> } | { allowed: string[] } | undefined;

/** A static route's key: its method and path in lower case, without a trailing slash. */
const staticKey = (method: string, path: string) => `${method} ${(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase()}`;

/**
 * Every route of the service behind one lookup: static paths by a map, the parameterised ones in
 * order (fixed paths first, then by how many literal segments they pin). A GET route answers HEAD
 * unless a HEAD route of its own exists. A path served under other methods answers 405 with them.
 */
export class RouteTable<R extends Routable> {
  readonly #byStaticPath = new Map<string, R>();
  readonly #parameterised: R[];
  readonly #routes: R[];

  constructor(routes: R[]) {
    this.#routes = routes;
    for (const route of routes) {
      if (!route.pattern.isStatic) continue;
      const key = staticKey(route.method, `/${route.pattern.segments.map((segment) => (segment as { literal: string }).literal).join('/')}`);
      if (this.#byStaticPath.has(key)) throw new Error(`Two routes for ${key}`);
      this.#byStaticPath.set(key, route);
    }
    const literals = (route: R) => route.pattern.segments.filter((segment) => 'literal' in segment).length;
    this.#parameterised = routes.filter((route) => !route.pattern.isStatic).sort((left, right) => literals(right) - literals(left));
  }

  get routes(): readonly R[] {
    return this.#routes;
  }

  #find(method: string, path: string, parts: () => string[]): { route: R; params: Record<string, string> } | undefined {
    const route = this.#byStaticPath.get(staticKey(method, path));
    if (route) return { route, params: {} };
    for (const candidate of this.#parameterised) {
      if (candidate.method !== method) continue;
      const params = matchSegments(candidate.pattern, parts());
      if (params) return { route: candidate, params };
    }
    return undefined;
  }

  match(method: string, path: string): RouteMatch<R> {
    let split: string[] | undefined;
    const parts = () => (split ??= splitPath(path));
    const found = this.#find(method, path, parts) ?? (method === 'HEAD' ? this.#find('GET', path, parts) : undefined);
    if (found) return found;
    const allowed = [...new Set(this.#routes.filter((route) => route.method !== method && matchesPath(route.pattern, parts())).map((route) => route.method))];
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

/** Whether the path fits the pattern's shape, without decoding anything (for 405's Allow). */
function matchesPath(pattern: PathPattern, parts: string[]): boolean {
  const { segments } = pattern;
  const last = segments.at(-1);
  const takesRest = last !== undefined && 'param' in last && last.greedy;
  if (takesRest ? parts.length < segments.length : parts.length !== segments.length) return false;
  return segments.every((segment, index) => ('literal' in segment ? parts[index]!.toLowerCase() === segment.literal : segment.greedy || parts[index] !== ''));
}

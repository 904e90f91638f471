import { clientNames } from './client-names.ts';

/** What the resource tree needs to know of one route. */
export interface TreeRoute {
  procedurePath: string;
  kind: 'query' | 'mutation' | 'subscription';
  method: string;
  path: string;
  summary: string | undefined;
  /** The fields of the route's input. */
  inputKeys: string[];
  /** Whether `{}` is a valid input, so that the input may be left out. */
  emptyInputValid: boolean;
}

interface Method {
  doc: string;
  expression: string;
}
type Branch = Map<string, Branch | Method>;

const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
const quoted = (text: string) => `'${text}'`;

/**
 * How one route is called: a stream; a call that streams with `stream: true` when a stream
 * shares its method and path; a call by id when its one path parameter is all its input; a call
 * whose input may be left out when `{}` is a valid one; else a call with its input.
 */
function methodOf(route: TreeRoute, routes: TreeRoute[]): Method {
  const doc = `${route.method} ${route.path}${route.kind === 'subscription' ? ' with stream: true, as events' : ''}${route.summary ? `: ${route.summary}` : ''}`;
  if (route.kind === 'subscription') return { doc, expression: `stream(${quoted(route.procedurePath)})` };
  const stream = routes.find((other) => other.kind === 'subscription' && other.method === route.method && other.path === route.path);
  if (stream) return { doc, expression: `callOrStream(${quoted(route.procedurePath)}, ${quoted(stream.procedurePath)})` };
  const parameters = pathParameters(route.path);
  if (parameters.length === 1 && route.inputKeys.length === 1 && route.inputKeys[0] === parameters[0]) {
    return { doc, expression: `byId(${quoted(route.procedurePath)}, ${quoted(parameters[0]!)})` };
  }
  // A route that takes `async: true` keeps its overloads (Call), whatever its input.
  const maker = route.emptyInputValid && !route.inputKeys.includes('async') ? 'optionalInput' : 'call';
  return { doc, expression: `${maker}(${quoted(route.procedurePath)})` };
}

function place(tree: Branch, name: string, method: Method, procedurePath: string): void {
  const keys = name.split('.');
  let branch = tree;
  for (const key of keys.slice(0, -1)) {
    const next = branch.get(key) ?? new Map();
    if (!(next instanceof Map)) throw new Error(`${procedurePath}: "${name}" runs through the method ${key}`);
    branch.set(key, next);
    branch = next;
  }
  const leaf = keys.at(-1)!;
  if (branch.has(leaf)) throw new Error(`${procedurePath}: the client name "${name}" is taken`);
  branch.set(leaf, method);
}

function print(branch: Branch, depth: number): string[] {
  const indent = '  '.repeat(depth);
  return [...branch].flatMap(([key, node]) =>
    node instanceof Map ? [`${indent}${key}: {`, ...print(node, depth + 1), `${indent}},`] : [`${indent}/** ${node.doc} */`, `${indent}${key}: ${node.expression},`],
  );
}

/** client/src/generated/resources.ts: every route under its name, called as its types say. */
export function resourceTreeSource(routes: TreeRoute[]): string {
  const tree: Branch = new Map();
  for (const route of routes) {
    const method = methodOf(route, routes);
    for (const name of clientNames[route.procedurePath] ?? [route.procedurePath]) place(tree, name, method, route.procedurePath);
  }
  const body = print(tree, 2);
  const makers = ['call', 'optionalInput', 'byId', 'stream', 'callOrStream'].filter((maker) => body.some((line) => line.includes(`: ${maker}(`)));
  return [
    '// Generated from the app router by `npm run client:generate`: do not edit.',
    '// test/client/generated-routes.test.ts fails when this file no longer matches the router.',
    '',
    `import type { Http } from '../http.js';`,
    `import { resourceCalls } from '../resource-calls.js';`,
    '',
    '/** Every route of the trees the client covers, by its router path or the name client/scripts/client-names.ts gives it. */',
    'export function createResources(http: Http) {',
    `  const { ${makers.join(', ')} } = resourceCalls(http);`,
    '  return {',
    ...body,
    '  };',
    '}',
    '',
  ].join('\n');
}

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { appRouter } from '../../server/app-router.ts';
import { collectRoutes, type RouteEntry } from '../../router/route-table.ts';
import { StandalonePrinter } from './type-printer.ts';
import { resourceTreeSource, type TreeRoute } from './resource-tree.ts';

/**
 * Writes client/src/generated/ from the app router. routes.ts: each AI route's HTTP method and
 * path (read off the router's declarations) and its input, answer and stream-event types (read by
 * the compiler from `inferRouterInputs`/`inferRouterOutputs` and written out in full), so the
 * client names nothing from the server and cannot drift from it. resources.ts: the client's
 * resource tree, a method per route (see resource-tree.ts). test/client/generated-routes.test.ts
 * fails when either file is stale.
 *
 * `npm run client:generate` rewrites them; `generatedSources()` is what the test compares.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const generatedRoutesFile = path.join(repositoryRoot, 'client/src/generated/routes.ts');
export const generatedResourcesFile = path.join(repositoryRoot, 'client/src/generated/resources.ts');

/** The AI trees, and the storage and webhooks the AI routes write results to and notify. */
const clientTrees = ['infra.ai.', 'infra.storage.', 'infra.webhooks.', 'v1.'];
/** HEAD answers only headers, which the client's answers do not carry: GET serves the same. */
const isClientRoute = (route: RouteEntry) => clientTrees.some((tree) => route.procedurePath.startsWith(tree)) && route.meta.transport?.method !== 'HEAD';

interface RouteFacts {
  procedurePath: string;
  kind: 'query' | 'mutation' | 'subscription';
  method: string;
  path: string;
  framing?: string;
  /** Whether the route answers bytes instead of JSON: always, or when the request asks. */
  binary?: 'always' | 'when-asked';
  /** The request body is raw bytes: the input's `body`, sent as its `content_type`. */
  rawBody?: true;
  /** The path parameter that takes the rest of the path, slashes included. */
  greedy?: string;
}

function factsOf(route: RouteEntry): RouteFacts {
  const kind = (route.procedure._def as { type: RouteFacts['kind'] }).type;
  const transport = route.meta.transport;
  const method = route.meta.openapi?.method ?? transport?.method;
  const routePath = route.meta.openapi?.path ?? transport?.path;
  if (!method || !routePath) throw new Error(`${route.procedurePath}: no HTTP method and path declared`);
  // The client sends a raw body from these two input fields: a route naming them otherwise would get neither.
  const shape = (transport?.input as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  if (transport?.rawBody && !('body' in shape && 'content_type' in shape)) throw new Error(`${route.procedurePath}: a raw body route's input must name its bytes body and their type content_type`);
  return {
    procedurePath: route.procedurePath,
    kind,
    method,
    path: routePath,
    ...(transport?.sse ? { framing: transport.sse.framing } : {}),
    ...(transport?.rawAnswer ? { binary: transport.rawAnswer.when ? ('when-asked' as const) : ('always' as const) } : {}),
    ...(transport?.rawBody ? { rawBody: true as const } : {}),
    ...(transport?.greedyParam ? { greedy: transport.greedyParam } : {}),
  };
}

/** The route as the resource tree names and calls it. */
function treeRouteOf(route: RouteEntry): TreeRoute {
  const { procedurePath, kind, method, path: routePath } = factsOf(route);
  const [input] = route.procedure._def.inputs as unknown[];
  return {
    procedurePath,
    kind,
    method,
    path: routePath,
    summary: route.meta.openapi?.summary ?? route.meta.transport?.docs?.summary,
    inputKeys: input instanceof z.ZodObject ? Object.keys(input.shape) : [],
    emptyInputValid: input instanceof z.ZodType ? input.safeParse({}).success : true,
  };
}

const access = (procedurePath: string) => procedurePath.split('.').map((key) => `[${JSON.stringify(key)}]`).join('');

/** A module the compiler reads but that never exists on disk: one alias per type to print. */
function probeSource(routes: RouteFacts[]): string {
  const lines = [
    `import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';`,
    `import type { AppRouter } from '../../server/app-router.ts';`,
    `type Inputs = inferRouterInputs<AppRouter>;`,
    `type Outputs = inferRouterOutputs<AppRouter>;`,
    `type EventOf<T> = T extends AsyncIterable<infer E> ? E : never;`,
  ];
  routes.forEach((route, index) => {
    lines.push(`export type Input${index} = Inputs${access(route.procedurePath)};`);
    const output = `Outputs${access(route.procedurePath)}`;
    // A route that always answers bytes is typed BinaryAnswer: what its procedure returns never travels.
    const answer = route.binary === 'always' ? 'unknown' : route.kind === 'subscription' ? `EventOf<${output}>` : output;
    lines.push(`export type Output${index} = ${answer};`);
  });
  return lines.join('\n');
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(repositoryRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, repositoryRoot).options;
}

function printTypes(routes: RouteFacts[]): { inputs: string[]; outputs: string[]; declarations: string[] } {
  const probePath = path.join(repositoryRoot, 'client/scripts/route-types.probe.ts');
  const source = probeSource(routes);
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((fileExists) => (file: string) => file === probePath || fileExists(file))(host.fileExists.bind(host));
  host.readFile = (file) => (file === probePath ? source : readFile(file));
  host.getSourceFile = (file, language, onError, create) =>
    file === probePath ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, onError, create);
  const program = ts.createProgram([probePath], options, host);
  const checker = program.getTypeChecker();
  const probe = program.getSourceFile(probePath)!;
  const problems = ts.getPreEmitDiagnostics(program, probe);
  if (problems.length > 0) throw new Error(ts.formatDiagnostics(problems, host));

  const aliases = new Map<string, ts.Type>();
  for (const statement of probe.statements) {
    if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, checker.getTypeAtLocation(statement.name));
  }
  const printer = new StandalonePrinter(checker, (file) => program.isSourceFileDefaultLibrary(file));
  const inputs = routes.map((_route, index) => printer.print(aliases.get(`Input${index}`)!));
  const outputs = routes.map((_route, index) => printer.print(aliases.get(`Output${index}`)!));
  const declarations = [...printer.declarations.values()].map(({ name, text }) => `export type ${name} = ${text};`);
  return { inputs, outputs, declarations };
}

export function generateRoutesSource(): string {
  const routes = collectRoutes(appRouter).filter(isClientRoute).map(factsOf);
  const { inputs, outputs, declarations } = printTypes(routes);
  const calls = routes.flatMap((route, index) => {
    if (route.kind === 'subscription') return [];
    const answer = route.binary === 'always' ? 'BinaryAnswer' : route.binary ? `${outputs[index]} | BinaryAnswer` : outputs[index];
    return [`  ${JSON.stringify(route.procedurePath)}: {\n    input: ${inputs[index]};\n    output: ${answer};\n  };`];
  });
  const streams = routes.flatMap((route, index) =>
    route.kind === 'subscription' ? [`  ${JSON.stringify(route.procedurePath)}: {\n    input: ${inputs[index]};\n    event: ${outputs[index]};\n  };`] : [],
  );
  const table = routes.map(({ procedurePath, kind: _kind, ...facts }) => `  ${JSON.stringify(procedurePath)}: ${JSON.stringify(facts)},`);
  return [
    '// Generated from server/app-router.ts by `npm run client:generate`: do not edit.',
    '// test/client/generated-routes.test.ts fails when this file no longer matches the router.',
    '',
    `import type { BinaryAnswer } from '../binary-answer.js';`,
    '',
    '/** Every JSON route: what it takes and what it answers. */',
    'export interface CallRoutes {',
    ...calls,
    '}',
    '',
    '/** Every streamed route: what it takes and the events it sends. */',
    'export interface StreamRoutes {',
    ...streams,
    '}',
    '',
    ...declarations,
    ...(declarations.length ? [''] : []),
    '/** How each route travels: HTTP method, path, event framing, byte answers. */',
    'export const routeTable = {',
    ...table,
    '} as const;',
    '',
  ].join('\n');
}

export function generateResourcesSource(): string {
  return resourceTreeSource(collectRoutes(appRouter).filter(isClientRoute).map(treeRouteOf));
}

/** Each generated file with what the router generates today. */
export function generatedSources(): { file: string; source: string }[] {
  return [
    { file: generatedRoutesFile, source: generateRoutesSource() },
    { file: generatedResourcesFile, source: generateResourcesSource() },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const { file, source } of generatedSources()) {
    writeFileSync(file, source);
    console.log(`wrote ${path.relative(repositoryRoot, file)}`);
  }
}

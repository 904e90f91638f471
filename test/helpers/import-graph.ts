import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One import of one file by another, both repository-relative (`router/auth.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
  /** `type`: erased at compile time (`import type`, every binding `type`, `import('…').T`); `runtime` otherwise. */
  kind: 'runtime' | 'type';
}

/** Every `.ts` file under `folder` (repository-relative), node_modules left out. */
export function sourceFiles(root: string, folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.parentPath.includes('node_modules'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** Every `.ts` file of the repository, dot folders and node_modules left out. */
export function repositoryFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .flatMap((entry) => sourceFiles(root, entry.name));
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  // `import './x.ts'` runs the module.
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
}

/** `new URL('./worker.ts', import.meta.url)`: a module loaded at run time by a worker thread. */
function workerModuleOf(node: ts.NewExpression): string | undefined {
  const [specifier, base] = node.arguments ?? [];
  const isUrl = ts.isIdentifier(node.expression) && node.expression.text === 'URL';
  const fromHere = base !== undefined && ts.isPropertyAccessExpression(base) && ts.isMetaProperty(base.expression) && base.name.text === 'url';
  return isUrl && fromHere && specifier && ts.isStringLiteralLike(specifier) && specifier.text.endsWith('.ts') ? specifier.text : undefined;
}

/** The relative module specifiers a file imports, read by TypeScript's own parser. */
function importsOf(file: string, text: string): { specifier: string; kind: ImportEdge['kind'] }[] {
  const found: { specifier: string; kind: ImportEdge['kind'] }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, kind: isTypeOnlyImport(node) ? 'type' : 'runtime' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, kind: isTypeOnlyExport(node) ? 'type' : 'runtime' });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, kind: node.isTypeOnly ? 'type' : 'runtime' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, kind: 'runtime' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, kind: 'type' });
    } else if (ts.isNewExpression(node)) {
      const worker = workerModuleOf(node);
      if (worker) found.push({ specifier: worker, kind: 'runtime' });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return found.filter((entry) => entry.specifier.startsWith('.'));
}

/** The import graph among `files`: an edge for each relative import that lands on one of them. */
export function importGraph(root: string, files: string[]): ImportEdge[] {
  const known = new Set(files);
  return files.flatMap((from) =>
    importsOf(from, readFileSync(path.join(root, from), 'utf8')).flatMap(({ specifier, kind }) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
      // The client package imports its own `.ts` files by their emitted `.js` names.
      const to = known.has(target) ? target : target.replace(/\.js$/, '.ts');
      return known.has(to) ? [{ from, to, kind }] : [];
    }),
  );
}

/** The files of every cycle: one list per strongly connected component of the graph (Tarjan). */
export function cyclesOf(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfImport = next.get(node)?.includes(node) ?? false;
    if (component.length > 1 || selfImport) components.push(component.sort());
  };
  for (const node of next.keys()) if (!index.has(node)) connect(node);
  return components;
}

/** The files `entries` import, directly or not, themselves included. */
export function reachableFrom(edges: ImportEdge[], entries: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const edge of edges) if (edge.from === file) pending.push(edge.to);
  }
  return seen;
}

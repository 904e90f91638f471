import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';
import { cyclesOf, importGraph, repositoryFiles, sourceFiles, type ImportEdge } from '../helpers/import-graph.ts';

/**
 * The service's layers, top to bottom. A file imports from its own layer and the layers below
 * it, never from one above, whether the import runs or is a type only: the code reads top-down
 * and each layer can be understood, and tested, without those above it. Folders of one rank do
 * not import each other either.
 */
const layers: { rank: number; folder: string; holds: string }[] = [
  { rank: 0, folder: 'server', holds: 'HTTP, processes, observability; the composition root: builds the services and the app router' },
  { rank: 1, folder: 'procedures', holds: 'the primitives, as tRPC procedures' },
  { rank: 2, folder: 'router', holds: 'the tRPC core: init, context, auth, the primitive factory, steps, errors, transport metadata' },
  { rank: 3, folder: 'accounts', holds: 'keys, billing, the balance ledger, rate limits and their stores: nothing of tRPC' },
  { rank: 4, folder: 'providers', holds: 'model adapters, the catalog, local pools, storage' },
  { rank: 4, folder: 'jobs', holds: 'pg-boss queues, the operation and webhook workers' },
  { rank: 5, folder: 'schema', holds: 'wire schemas, database types, queries and migrations' },
];

/** Folders of TypeScript that are not the service (they may import any layer). */
const outsideTheService = new Set(['test', 'bench', 'client', 'node_modules']);

/**
 * The only imports allowed to run up, each with why. Stale entries fail the test, so the list
 * only ever shrinks to what the code still does.
 */
const allowedUpward: (ImportEdge & { why: string })[] = [];

const rankOf = new Map(layers.map((layer) => [layer.folder, layer.rank]));
const folderOf = (file: string) => file.split('/')[0]!;
const describeEdge = (edge: ImportEdge) => `${edge.from} → ${edge.to} (${edge.kind})`;

const topFolders = readdirSync(repoRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'));
const serviceFiles = layers.flatMap((layer) => sourceFiles(repoRoot, layer.folder));
const serviceEdges = importGraph(repoRoot, serviceFiles);

/** An import from a folder to one of the same rank or above it. */
function runsUp(edge: ImportEdge): boolean {
  const from = folderOf(edge.from);
  const to = folderOf(edge.to);
  return from !== to && rankOf.get(to)! <= rankOf.get(from)!;
}

const isAllowed = (edge: ImportEdge) =>
  allowedUpward.some((allowed) => allowed.from === edge.from && allowed.to === edge.to && (allowed.kind === 'runtime' || edge.kind === 'type'));

describe('layers', () => {
  it('reads the real import graph', () => {
    expect(serviceFiles.length).toBeGreaterThan(100);
    expect(serviceEdges.some((edge) => edge.from === 'server/services.ts' && edge.to === 'server/app-router.ts' && edge.kind === 'runtime')).toBe(true);
    expect(serviceEdges.some((edge) => edge.from === 'router/context.ts' && edge.to === 'accounts/key-store.ts' && edge.kind === 'type')).toBe(true);
  });

  it('places every folder of TypeScript in a layer or outside the service', () => {
    const unplaced = topFolders
      .map((entry) => entry.name)
      .filter((name) => !rankOf.has(name) && !outsideTheService.has(name) && sourceFiles(repoRoot, name).length > 0);
    expect(unplaced).toEqual([]);
  });

  it('has no import from a layer to one above it or beside it', () => {
    const offending = serviceEdges.filter((edge) => runsUp(edge) && !isAllowed(edge)).map(describeEdge);
    expect(offending, `imports that run up the layers:\n${offending.join('\n')}`).toEqual([]);
  });

  it('allows no upward import the code no longer makes', () => {
    const stale = allowedUpward
      .filter((allowed) => !serviceEdges.some((edge) => edge.from === allowed.from && edge.to === allowed.to && (allowed.kind === 'type' || edge.kind === 'runtime')))
      .map(describeEdge);
    expect(stale, `allowed upward imports no longer made (or no longer at run time):\n${stale.join('\n')}`).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    const edges = importGraph(repoRoot, repositoryFiles(repoRoot));
    const cycles = cyclesOf(edges).map((files) => {
      const members = new Set(files);
      return edges.filter((edge) => members.has(edge.from) && members.has(edge.to)).map(describeEdge).join('\n  ');
    });
    expect(cycles, `import cycles (the imports among each cycle's files):\n  ${cycles.join('\n\n  ')}`).toEqual([]);
  });
});

import type { CallScope } from '../../spec/call-scope.ts';
import type { Chunk, ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import { chunkBlocks, sourceOf, withTexts } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import type { ComputePool } from './compute-pool.ts';
import type { ParseTask } from './tasks.ts';

export interface LocalDocuments {
  /**
   * Parses a file on the compute pool. A loader is called only once the task has its thread,
   * so a parse waiting in line holds no file bytes (a stored object is read when its turn comes).
   */
  parse(file: ParseTask | (() => Promise<ParseTask>), scope: CallScope): Promise<ParsedDocument>;
}

export interface LocalChunker {
  chunk(blocks: SourceBlock[], options: ChunkOptions, scope: CallScope): Promise<{ source: string; chunks: Chunk[] }>;
}

/** Below this many characters chunking costs less than a trip to a thread, so it runs inline. */
const inlineChunkingChars = 64 * 1024;

/** Document parsing and large chunking as tasks on the compute pool, so the request thread never runs them. */
export function pooledDocuments(pool: ComputePool): { documents: LocalDocuments; chunker: LocalChunker } {
  const documents: LocalDocuments = { parse: (file, scope) => pool.run('parse', file, { ...scope, param: 'file', documents: true }) };
  const chunker: LocalChunker = {
    chunk: async (blocks, options, scope) => {
      const characters = blocks.reduce((sum, block) => sum + block.text.length, 0);
      if (characters <= inlineChunkingChars) return chunkBlocks(blocks, options);
      const spans = await pool.run('chunk', { blocks, options }, { ...scope, param: 'text' });
      const source = sourceOf(blocks);
      return { source, chunks: withTexts(source, spans) };
    },
  };
  return { documents, chunker };
}

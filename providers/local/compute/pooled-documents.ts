import type { CallScope } from '../../spec/call-scope.ts';
import type { EmbeddingModel } from '../../spec/embeddings.ts';
import type { ModerationModel } from '../../spec/moderation.ts';
import type { RerankModel } from '../../spec/rerank.ts';
import type { SpeechModel } from '../../spec/speech.ts';
import type { Chunk, ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import { chunkBlocks, sourceOf, withTexts } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import { espeakFormats } from '../catalog.ts';
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

/**
 * The offline models as the registry hands them out: each call becomes a task on the compute
 * pool (its AbortSignal and project stay here, with the pool), so the request thread never runs a
 * model, and every project's share of the pool's line is bounded.
 */
export function pooledModels(pool: ComputePool) {
  const embeddings: EmbeddingModel = {
    embed: async ({ signal, projectId, ...task }) => {
      const { packed, dimensions, inputTokens } = await pool.run('embed', task, { signal, projectId, param: 'input' });
      const vectors = Array.from({ length: dimensions === 0 ? 0 : packed.length / dimensions }, (_, index) => packed.subarray(index * dimensions, (index + 1) * dimensions));
      return { vectors, inputTokens };
    },
  };
  const rerank: RerankModel = { rerank: ({ signal, projectId, ...task }) => pool.run('rerank', task, { signal, projectId, param: 'documents' }) };
  const moderation: ModerationModel = { classify: (inputs, scope) => pool.run('moderate', { inputs }, { ...scope, param: 'input' }) };
  const speech: SpeechModel = {
    formats: espeakFormats,
    synthesize: ({ signal, projectId, ...task }) => pool.run('synthesize', task, { signal, projectId, param: 'input' }),
  };
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
  return { embeddings, rerank, moderation, speech, documents, chunker };
}

import type { EmbeddingModel } from '../../spec/embeddings.ts';
import type { ModerationModel } from '../../spec/moderation.ts';
import type { RerankModel } from '../../spec/rerank.ts';
import type { SpeechModel } from '../../spec/speech.ts';
import type { Chunk, ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import { chunkBlocks } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import { espeakFormats } from '../catalog.ts';
import type { ComputePool } from './compute-pool.ts';

export interface LocalDocuments {
  parse(file: { bytes: Uint8Array; contentType: string | undefined; filename?: string | undefined }, signal?: AbortSignal): Promise<ParsedDocument>;
}

export interface LocalChunker {
  chunk(blocks: SourceBlock[], options: ChunkOptions, signal?: AbortSignal): Promise<{ source: string; chunks: Chunk[] }>;
}

/** Below this many characters chunking costs less than a trip to a thread, so it runs inline. */
const inlineChunkingChars = 64 * 1024;

/**
 * The offline models as the registry hands them out: each call becomes a task on the compute
 * pool (its AbortSignal stays here, with the pool), so the request thread never runs a model.
 */
export function pooledModels(pool: ComputePool) {
  const embeddings: EmbeddingModel = { embed: ({ signal, ...task }) => pool.run('embed', task, { signal, param: 'input' }) };
  const rerank: RerankModel = { rerank: ({ signal, ...task }) => pool.run('rerank', task, { signal, param: 'documents' }) };
  const moderation: ModerationModel = { classify: (inputs, signal) => pool.run('moderate', { inputs }, { signal, param: 'input' }) };
  const speech: SpeechModel = { formats: espeakFormats, synthesize: ({ signal, ...task }) => pool.run('synthesize', task, { signal, param: 'input' }) };
  const documents: LocalDocuments = { parse: (file, signal) => pool.run('parse', file, { signal, param: 'file', documents: true }) };
  const chunker: LocalChunker = {
    chunk: async (blocks, options, signal) => {
      const characters = blocks.reduce((sum, block) => sum + block.text.length, 0);
      if (characters <= inlineChunkingChars) return chunkBlocks(blocks, options);
      return pool.run('chunk', { blocks, options }, { signal, param: 'text' });
    },
  };
  return { embeddings, rerank, moderation, speech, documents, chunker };
}

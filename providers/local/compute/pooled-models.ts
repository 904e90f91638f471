import type { EmbeddingModel, EmbeddingRequest, EmbeddingResult } from '../../spec/embeddings.ts';
import type { ModerationInput, ModerationModel, ModerationResult } from '../../spec/moderation.ts';
import type { RerankModel, RerankRequest, RerankResult } from '../../spec/rerank.ts';
import type { SpeechModel, SpeechRequest, SpeechResult } from '../../spec/speech.ts';
import type { Chunk, ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import { chunkBlocks } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import { espeakFormats } from '../catalog.ts';
import type { ComputePool } from './compute-pool.ts';

/**
 * The offline models as the registry hands them out: each call becomes a task on the compute
 * pool, so the request thread never runs the model itself.
 */

export class PooledEmbeddingModel implements EmbeddingModel {
  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  embed({ signal, ...task }: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.#pool.run('embed', task, { signal, param: 'input' });
  }
}

export class PooledReranker implements RerankModel {
  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  rerank({ signal, ...task }: RerankRequest): Promise<RerankResult> {
    return this.#pool.run('rerank', task, { signal, param: 'documents' });
  }
}

export class PooledModerator implements ModerationModel {
  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  classify(inputs: ModerationInput[][], signal?: AbortSignal): Promise<{ results: ModerationResult[]; inputTokens: number }> {
    return this.#pool.run('moderate', { inputs }, { signal, param: 'input' });
  }
}

export class PooledSpeech implements SpeechModel {
  readonly formats = espeakFormats;

  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  synthesize({ signal, ...task }: SpeechRequest): Promise<SpeechResult> {
    return this.#pool.run('synthesize', task, { signal, param: 'input' });
  }
}

export class PooledDocumentParser {
  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  parse(file: { bytes: Uint8Array; contentType: string | undefined; filename?: string | undefined }, signal?: AbortSignal): Promise<ParsedDocument> {
    return this.#pool.run('parse', file, { signal, param: 'file', documents: true });
  }
}

/** Below this many characters chunking costs less than a trip to a thread, so it runs inline. */
const inlineChunkingChars = 64 * 1024;

export class Chunker {
  readonly #pool: ComputePool;

  constructor(pool: ComputePool) {
    this.#pool = pool;
  }

  async chunk(blocks: SourceBlock[], options: ChunkOptions, signal?: AbortSignal): Promise<{ source: string; chunks: Chunk[] }> {
    const characters = blocks.reduce((sum, block) => sum + block.text.length, 0);
    if (characters <= inlineChunkingChars) return chunkBlocks(blocks, options);
    return this.#pool.run('chunk', { blocks, options }, { signal, param: 'text' });
  }
}

import type { EmbeddingRequest } from '../../spec/embeddings.ts';
import type { ModerationInput } from '../../spec/moderation.ts';
import type { RerankRequest } from '../../spec/rerank.ts';
import type { SpeechRequest } from '../../spec/speech.ts';
import type { ChunkOptions, SourceBlock } from '../documents/chunker.ts';

/** What each compute task receives: the request without its AbortSignal (the pool holds that). */
export type EmbedTask = Omit<EmbeddingRequest, 'signal'>;
export type RerankTask = Omit<RerankRequest, 'signal'>;
export type ModerateTask = { inputs: ModerationInput[][] };
export type SynthesizeTask = Omit<SpeechRequest, 'signal'>;
export type ParseTask = { bytes: Uint8Array; contentType: string | undefined; filename?: string | undefined };
export type ChunkTask = { blocks: SourceBlock[]; options: ChunkOptions };

import type { Unscoped } from '../../spec/call-scope.ts';
import type { EmbeddingRequest } from '../../spec/embeddings.ts';
import type { ModerationInput } from '../../spec/moderation.ts';
import type { RerankRequest } from '../../spec/rerank.ts';
import type { SpeechRequest } from '../../spec/speech.ts';
import type { ChunkOptions, SourceBlock } from '../documents/chunker.ts';

/** What each compute task receives: the request without its scope (the pool holds its signal and project). */
export type EmbedTask = Unscoped<EmbeddingRequest>;
export type RerankTask = Unscoped<RerankRequest>;
export type ModerateTask = { inputs: ModerationInput[][] };
export type SynthesizeTask = Unscoped<SpeechRequest>;
/** A file to parse: its bytes, or (as a JSON body sends it) base64 the thread decodes, off the event loop. */
export type ParseTask = ({ bytes: Uint8Array } | { base64: string }) & { contentType: string | undefined; filename?: string | undefined };
export type ChunkTask = { blocks: SourceBlock[]; options: ChunkOptions };

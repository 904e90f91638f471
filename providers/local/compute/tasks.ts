import type { ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import type { EncodingName } from '../../openai/tiktoken-encodings.ts';

/** A file to parse: its bytes, or (as a JSON body sends it) base64 the thread decodes, off the event loop. */
export type ParseTask = ({ bytes: Uint8Array } | { base64: string }) & { contentType: string | undefined; filename?: string | undefined };
export type ChunkTask = { blocks: SourceBlock[]; options: ChunkOptions };
export type TiktokenTask = { encoding: EncodingName; text: string };

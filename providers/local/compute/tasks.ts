import type { ChunkOptions, SourceBlock } from '../documents/chunker.ts';

/** A file to parse: its bytes, or (as a JSON body sends it) base64 the thread decodes, off the event loop. */
export type ParseTask = ({ bytes: Uint8Array } | { base64: string }) & { contentType: string | undefined; filename?: string | undefined };
export type ChunkTask = { blocks: SourceBlock[]; options: ChunkOptions };
/** A provider module's function to run in the thread, with its input (see PoolFunction). */
export type ModuleCall = { moduleUrl: string; exportName: string; input: unknown };

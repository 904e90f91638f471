/**
 * The tasks a compute-pool thread runs: every CPU-heavy local model, off the event loop that
 * answers requests. Each model loads on its first task in this thread and stays for the next.
 * Results and failures go back as plain data (see task-errors.ts).
 */
import type { Unscoped } from '../../spec/call-scope.ts';
import type { EmbeddingRequest } from '../../spec/embeddings.ts';
import type { ModerationRequest, ModerationResult } from '../../spec/moderation.ts';
import type { RerankRequest, RerankResult } from '../../spec/rerank.ts';
import type { SpeechRequest, SpeechResult } from '../../spec/speech.ts';
import type { ChunkOptions, ChunkSpan, SourceBlock } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { describeTaskFailure, type TaskOutcome } from './task-errors.ts';
import type { ChunkTask, ModuleCall, ParseTask } from './tasks.ts';

async function outcome<T>(work: () => Promise<T> | T): Promise<TaskOutcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, failure: describeTaskFailure(error) };
  }
}

const once = <T>(load: () => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
};

const encoder = once(async () => new (await import('../sentence-encoder.ts')).SentenceEncoder());
const reranker = once(async () => new (await import('../bm25-rerank.ts')).Bm25SemanticReranker(await encoder()));
const moderator = once(async () => new (await import('../offline-moderation.ts')).OfflineModerator(await encoder()));
const speech = once(async () => new (await import('../espeak-speech.ts')).EspeakSpeech());
const parser = once(async () => new (await import('../documents/document-parser.ts')).DocumentParser());
const chunker = once(() => import('../documents/chunker.ts'));

/** Vectors packed in one float32 buffer, moved to the caller rather than copied number by number. */
export interface PackedEmbeddings {
  packed: Float32Array;
  dimensions: number;
  inputTokens: number;
}

export const embed = async (task: Unscoped<EmbeddingRequest>): Promise<TaskOutcome<PackedEmbeddings>> => {
  const result = await outcome(async () => {
    const { vectors, inputTokens } = await (await encoder()).embed(task);
    const dimensions = vectors[0]?.length ?? 0;
    const packed = new Float32Array(vectors.length * dimensions);
    vectors.forEach((vector, index) => packed.set(vector, index * dimensions));
    return { packed, dimensions, inputTokens };
  });
  if (!result.ok) return result;
  // piscina posts the value with its buffer in the transfer list: the caller receives it whole.
  return move({ [transferableSymbol]: [result.value.packed.buffer], [valueSymbol]: result }) as unknown as TaskOutcome<PackedEmbeddings>;
};

export const rerank = (task: Unscoped<RerankRequest>): Promise<TaskOutcome<RerankResult>> => outcome(async () => (await reranker()).rerank(task));

export const moderate = (task: Unscoped<ModerationRequest>): Promise<TaskOutcome<{ results: ModerationResult[]; inputTokens: number }>> =>
  outcome(async () => (await moderator()).classify(task.inputs));

export const synthesize = (task: Unscoped<SpeechRequest>): Promise<TaskOutcome<SpeechResult>> => outcome(async () => (await speech()).synthesize(task));

/** Whatever a parser library throws on a file is the file's fault: a 400 naming it, never a 500. */
export const parse = (task: ParseTask): Promise<TaskOutcome<ParsedDocument>> =>
  outcome(async () => {
    const { DocumentError } = await import('../documents/document-types.ts');
    try {
      const { contentType, filename } = task;
      const bytes = 'base64' in task ? Buffer.from(task.base64, 'base64') : task.bytes;
      return await (await parser()).parse({ bytes, contentType, filename });
    } catch (error) {
      if (error instanceof DocumentError) throw error;
      throw new DocumentError('corrupt', `file: could not be parsed (${(error as Error).message ?? error})`, { cause: error });
    }
  });

/**
 * Only the chunks' places come back: the caller still holds the text, and slicing it costs
 * nothing, where receiving the texts again would cost the event loop a copy of all of them.
 */
export const chunk = (task: ChunkTask): Promise<TaskOutcome<ChunkSpan[]>> =>
  outcome(async () => {
    const { chunkSpans, sourceOf } = await chunker();
    const blocks = task.blocks as SourceBlock[];
    return chunkSpans(sourceOf(blocks), blocks, task.options as ChunkOptions);
  });

/** Only the service's own provider modules are loaded (the caller is code, never a request). */
const providersFolder = new URL('../../', import.meta.url).href;

/** Runs a function another provider module offers the pool (see poolFunction in compute-pool.ts). */
export const call = (task: ModuleCall): Promise<TaskOutcome<unknown>> =>
  outcome(async () => {
    if (!task.moduleUrl.startsWith(providersFolder)) throw new Error(`${task.moduleUrl} is not a provider module`);
    const exported = ((await import(task.moduleUrl)) as Record<string, unknown>)[task.exportName];
    if (typeof exported !== 'function') throw new Error(`${task.moduleUrl} exports no function ${task.exportName}`);
    return (exported as (input: unknown) => unknown)(task.input);
  });

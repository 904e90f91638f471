/**
 * The tasks a compute-pool thread runs: every CPU-heavy local model, off the event loop that
 * answers requests. Each model loads on its first task in this thread and stays for the next.
 * Results and failures go back as plain data (see task-errors.ts).
 */
import type { EmbeddingResult } from '../../spec/embeddings.ts';
import type { ModerationInput, ModerationResult } from '../../spec/moderation.ts';
import type { RerankResult } from '../../spec/rerank.ts';
import type { SpeechResult } from '../../spec/speech.ts';
import type { Chunk, ChunkOptions, SourceBlock } from '../documents/chunker.ts';
import type { ParsedDocument } from '../documents/document-types.ts';
import { describeTaskFailure, type TaskOutcome } from './task-errors.ts';
import type { ChunkTask, EmbedTask, ModerateTask, ParseTask, RerankTask, SynthesizeTask } from './tasks.ts';

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

export const embed = (task: EmbedTask): Promise<TaskOutcome<EmbeddingResult>> => outcome(async () => (await encoder()).embed(task));

export const rerank = (task: RerankTask): Promise<TaskOutcome<RerankResult>> => outcome(async () => (await reranker()).rerank(task));

export const moderate = (task: ModerateTask): Promise<TaskOutcome<{ results: ModerationResult[]; inputTokens: number }>> =>
  outcome(async () => (await moderator()).classify(task.inputs as ModerationInput[][]));

export const synthesize = (task: SynthesizeTask): Promise<TaskOutcome<SpeechResult>> => outcome(async () => (await speech()).synthesize(task));

/** Whatever a parser library throws on a file is the file's fault: a 400 naming it, never a 500. */
export const parse = (task: ParseTask): Promise<TaskOutcome<ParsedDocument>> =>
  outcome(async () => {
    const { DocumentError } = await import('../documents/document-types.ts');
    try {
      return await (await parser()).parse(task);
    } catch (error) {
      if (error instanceof DocumentError) throw error;
      throw new DocumentError('corrupt', `file: could not be parsed (${(error as Error).message ?? error})`, { cause: error });
    }
  });

export const chunk = (task: ChunkTask): Promise<TaskOutcome<{ source: string; chunks: Chunk[] }>> =>
  outcome(async () => (await chunker()).chunkBlocks(task.blocks as SourceBlock[], task.options as ChunkOptions));

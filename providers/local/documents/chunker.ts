import { createHash } from 'node:crypto';
import { ProviderError } from '../../spec/provider-error.ts';

export interface SourceBlock {
  text: string;
  type?: string | undefined;
  page?: number | undefined;
}

export interface Chunk {
  id: string;
  index: number;
  text: string;
  /** `source.slice(start, end) === text`. */
  start: number;
  end: number;
  /** Indices of the blocks the chunk overlaps (when chunking blocks). */
  blocks: number[];
  pages: number[];
}

/** A chunk without its text: what a compute thread sends back (the caller holds the source and slices it). */
export type ChunkSpan = Omit<Chunk, 'text'>;

export interface ChunkOptions {
  maxChars: number;
  overlapChars: number;
}

/** The most chunks one request produces: a bound on the answer, whatever the text and options. */
export const maxChunks = 20_000;

/** Cut preference, best first: between blocks, between paragraphs, after a sentence, between words. */
const Cut = { Block: 3, Paragraph: 2, Sentence: 1, Word: 0 } as const;

const blockSeparator = '\n\n';

/** The text chunks are cut from, and their offsets refer to: the blocks joined by blank lines. */
export const sourceOf = (blocks: SourceBlock[]) => blocks.map((block) => block.text).join(blockSeparator);

/** The chunks of `source` with their texts, from spans cut from that same source. */
export const withTexts = (source: string, spans: ChunkSpan[]): Chunk[] => spans.map((span) => ({ ...span, text: source.slice(span.start, span.end) }));

/** Sorted cut positions per preference, found in one pass over the text. */
function findCuts(source: string, blockEnds: number[]): number[][] {
  const cuts: number[][] = [[], [], [], []];
  for (const end of blockEnds) cuts[Cut.Block]!.push(end);
  for (let index = 1; index < source.length; index++) {
    const previous = source.charCodeAt(index - 1);
    const current = source.charCodeAt(index);
    const isSpace = current === 32 || current === 10 || current === 9 || current === 13;
    if (!isSpace) continue;
    if (current === 10 && previous === 10) cuts[Cut.Paragraph]!.push(index + 1);
    else if (previous === 46 || previous === 33 || previous === 63) cuts[Cut.Sentence]!.push(index);
    else cuts[Cut.Word]!.push(index);
  }
  return cuts;
}

/** The first position in `sorted` at or after `value`, or undefined. */
function firstAtLeast(sorted: number[], value: number): number | undefined {
  let left = 0;
  let right = sorted.length;
  while (left < right) {
    const middle = (left + right) >> 1;
    if (sorted[middle]! < value) left = middle + 1;
    else right = middle;
  }
  return sorted[left];
}

/** The last position in `sorted` within (low, high], or -1. */
function lastWithin(sorted: number[], low: number, high: number): number {
  let left = 0;
  let right = sorted.length - 1;
  let found = -1;
  while (left <= right) {
    const middle = (left + right) >> 1;
    if (sorted[middle]! <= high) {
      found = middle;
      left = middle + 1;
    } else right = middle - 1;
  }
  return found >= 0 && sorted[found]! > low ? sorted[found]! : -1;
}

const isWhitespace = (code: number) => code === 32 || code === 10 || code === 9 || code === 13;

/**
 * Splits text into chunks of at most `maxChars`, deterministically: the same input always gives
 * the same chunks and ids. Each cut is the best boundary in the back half of the window (block,
 * then paragraph, sentence, word; a hard cut only when there is none); chunks overlap by about
 * `overlapChars`, starting on a word boundary; whitespace at chunk edges is left out.
 */
export function chunkBlocks(blocks: SourceBlock[], options: ChunkOptions): { source: string; chunks: Chunk[] } {
  const source = sourceOf(blocks);
  return { source, chunks: withTexts(source, chunkSpans(source, blocks, options)) };
}

/** The chunks' places in `source` (`sourceOf(blocks)`), ids included; their texts are `source.slice(start, end)`. */
export function chunkSpans(source: string, blocks: SourceBlock[], options: ChunkOptions): ChunkSpan[] {
  const blockStarts: number[] = [];
  const blockEnds: number[] = [];
  let offset = 0;
  for (const block of blocks) {
    blockStarts.push(offset);
    offset += block.text.length;
    blockEnds.push(offset);
    offset += blockSeparator.length;
  }
  const cuts = findCuts(source, blockEnds.slice(0, -1));
  const chunks: ChunkSpan[] = [];
  let firstBlock = 0;
  let start = 0;
  while (start < source.length) {
    while (start < source.length && isWhitespace(source.charCodeAt(start))) start++;
    if (start >= source.length) break;
    const windowEnd = Math.min(start + options.maxChars, source.length);
    let end = windowEnd;
    if (windowEnd < source.length) {
      const earliest = start + Math.floor(options.maxChars / 2);
      for (const preference of [Cut.Block, Cut.Paragraph, Cut.Sentence, Cut.Word]) {
        const cut = lastWithin(cuts[preference]!, earliest, windowEnd);
        if (cut > 0) {
          end = cut;
          break;
        }
      }
    }
    let textEnd = end;
    while (textEnd > start && isWhitespace(source.charCodeAt(textEnd - 1))) textEnd--;
    const text = source.slice(start, textEnd);
    // Chunks only move forward, so the first block they can touch only moves forward too.
    while (firstBlock < blocks.length && blockEnds[firstBlock]! <= start) firstBlock++;
    const spanned: number[] = [];
    for (let index = firstBlock; index < blocks.length && blockStarts[index]! < textEnd; index++) spanned.push(index);
    chunks.push({
      id: `chk_${createHash('sha256').update(`${start}:${textEnd}:${text}`).digest('hex').slice(0, 24)}`,
      index: chunks.length,
      start,
      end: textEnd,
      blocks: spanned,
      pages: [...new Set(spanned.flatMap((index) => (blocks[index]!.page === undefined ? [] : [blocks[index]!.page!])))].sort((a, b) => a - b),
    });
    if (end >= source.length) break;
    if (chunks.length >= maxChunks) {
      throw new ProviderError('invalid_request', `max_chars: this text makes more than ${maxChunks} chunks of ${options.maxChars} characters; raise max_chars or send less text`, {
        param: 'max_chars',
      });
    }
    // The window always moves on by a quarter of max_chars, however the overlap falls.
    let next = options.overlapChars > 0 ? Math.max(end - options.overlapChars, start + Math.ceil(options.maxChars / 4)) : end;
    // An overlap starts at a word, never mid-word.
    if (next < end && next > 0 && !isWhitespace(source.charCodeAt(next - 1))) {
      const after = firstAtLeast(cuts[Cut.Word]!, next);
      next = after !== undefined && after < end ? after : end;
    }
    start = next;
  }
  return chunks;
}

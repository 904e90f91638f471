import { chunkBlocks } from '../procedures/documents/chunker.ts';
import { SentenceEncoder } from '../providers/local/sentence-encoder.ts';
import type { LoadResult } from './catalog.ts';

/** Chunking throughput on a 10 MB text, and local embeddings per second at batch 32 (in-process). */
export async function benchRetrieval(): Promise<LoadResult[]> {
  const sentence = 'Retrieval systems split long documents into overlapping passages before they embed them. ';
  const paragraph = `${sentence.repeat(6).trim()}\n\n`;
  const text = paragraph.repeat(Math.ceil(10_000_000 / paragraph.length)).slice(0, 10_000_000);
  chunkBlocks([{ text: text.slice(0, 1_000_000) }], { maxChars: 1500, overlapChars: 200 });
  const runs = 5;
  let chunks = 0;
  const started = performance.now();
  for (let run = 0; run < runs; run++) chunks = chunkBlocks([{ text }], { maxChars: 1500, overlapChars: 200 }).chunks.length;
  const seconds = (performance.now() - started) / 1000 / runs;
  process.stdout.write(`\nchunking 10 MB (max 1500, overlap 200): ${chunks} chunks in ${(seconds * 1000).toFixed(0)} ms = ${(10 / seconds).toFixed(0)} MB/s\n`);

  const encoder = new SentenceEncoder();
  const batch = Array.from({ length: 32 }, (_, index) => `Passage ${index}: ${sentence}`);
  await encoder.embed({ texts: batch });
  const batches = 10;
  const embedStarted = performance.now();
  for (let run = 0; run < batches; run++) await encoder.embed({ texts: batch });
  const embedSeconds = (performance.now() - embedStarted) / 1000;
  process.stdout.write(`local embeddings (USE lite, batch 32): ${((batches * 32) / embedSeconds).toFixed(0)} texts/s\n`);
  return [];
}

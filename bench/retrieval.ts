import { chunkBlocks } from '../providers/local/documents/chunker.ts';
import { SentenceEncoder } from '../providers/local/sentence-encoder.ts';
import type { LoadResult } from './catalog.ts';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { DocumentParser } from '../providers/local/documents/document-parser.ts';
import { createTextImage } from '../test/helpers/document-fixtures.ts';

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

  const parser = new DocumentParser();
  try {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    for (let number = 1; number <= 20; number++) {
      const page = pdf.addPage([612, 792]);
      page.drawText(`Chapter ${number}`, { x: 72, y: 720, size: 20, font });
      for (let line = 0; line < 40; line++) page.drawText(`${sentence.trim()} Line ${line + 1}.`, { x: 72, y: 690 - line * 15, size: 10, font });
    }
    const bytes = await pdf.save();
    await parser.parse({ bytes, contentType: 'application/pdf' });
    const pdfStarted = performance.now();
    const parsed = await parser.parse({ bytes, contentType: 'application/pdf' });
    process.stdout.write(`parse a 20-page PDF (text layer): ${(performance.now() - pdfStarted).toFixed(0)} ms, ${parsed.blocks.length} blocks\n`);

    const image = await createTextImage(['Scanned page', 'The quick brown fox jumps over the lazy dog', 'Invoice total: 1,250 euros']);
    await parser.parse({ bytes: image, contentType: 'image/png' });
    const ocrStarted = performance.now();
    await parser.parse({ bytes: image, contentType: 'image/png' });
    process.stdout.write(`parse one OCR page (1224x600 PNG): ${(performance.now() - ocrStarted).toFixed(0)} ms\n`);
  } finally {
    await parser.close();
  }
  return [];
}

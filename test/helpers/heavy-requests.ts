import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createTextImage } from './document-fixtures.ts';

/** A JSON request body for a POST route. */
export interface HeavyRequest {
  label: string;
  path: string;
  body: string;
}

const sentence = 'Retrieval systems split long documents into overlapping passages before they embed them. ';

/** A PDF of `pages` pages of 45 lines of text each (a real text layer). */
export async function createLongPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let number = 1; number <= pages; number++) {
    const page = pdf.addPage([612, 792]);
    for (let line = 0; line < 45; line++) page.drawText(`${sentence.trim()} ${number}.${line}`, { x: 40, y: 740 - line * 15, size: 10, font });
  }
  return pdf.save();
}

/** About `characters` of paragraph text. */
export const longText = (characters: number) => `${sentence.repeat(6).trim()}\n\n`.repeat(Math.ceil(characters / (sentence.length * 6))).slice(0, characters);

/** `count` embedding inputs of six sentences each (about 540 characters). */
export const embeddingInputs = (count: number) => Array.from({ length: count }, (_, index) => `${index} ${sentence.repeat(6)}`);

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The heaviest requests each local primitive accepts (or nearly): what a hostile client would send. */
export async function maximalRequests(): Promise<HeavyRequest[]> {
  const scanned = await createTextImage(['Scanned page', 'The quick brown fox jumps over the lazy dog', 'Invoice total: 1,250 euros']);
  return [
    // 2,048 inputs, about 1.2M characters: the local encoder's per-request limit.
    { label: 'embeddings ×2048', path: '/v1/embeddings', body: JSON.stringify({ model: 'local:universal-sentence-encoder-lite', input: embeddingInputs(2048) }) },
    { label: 'parse 40-page PDF', path: '/infra/ai/documents/parse', body: JSON.stringify({ file: { data: base64(await createLongPdf(40)), content_type: 'application/pdf' } }) },
    { label: 'OCR a scanned page', path: '/infra/ai/documents/parse', body: JSON.stringify({ file: { data: base64(scanned), content_type: 'image/png' } }) },
    { label: 'chunk 9 MB of text', path: '/infra/ai/documents/chunk', body: JSON.stringify({ text: longText(9_000_000), max_chars: 8000, overlap_chars: 0 }) },
  ];
}

/**
 * Inputs over the local models' limits, each refused with a 400 (about 9 MB apiece: embeddings,
 * moderation, rerank): what it costs to say no to them must not hold up anyone else either.
 */
export function oversizeRequests(): HeavyRequest[] {
  const text = 'word '.repeat(1_800_000);
  return [
    { label: 'embeddings over the input limit', path: '/v1/embeddings', body: JSON.stringify({ model: 'local:universal-sentence-encoder-lite', input: text }) },
    { label: 'moderation over the input limit', path: '/v1/moderations', body: JSON.stringify({ model: 'local:moderation-offline', input: text }) },
    {
      label: 'rerank over the input limit',
      path: '/infra/ai/rerank',
      body: JSON.stringify({ model: 'local:bm25-semantic-rerank', query: 'q', documents: Array.from({ length: 100 }, () => 'word '.repeat(18_000)) }),
    },
  ];
}

import { createRequire } from 'node:module';
import { createWorker, type Worker } from 'tesseract.js';
import type { Block } from './document-types.ts';

const require = createRequire(import.meta.url);
/** Trained data from the @tesseract.js-data/eng package: never fetched at run time. */
const englishData = require('@tesseract.js-data/eng') as { langPath: string; gzip: boolean };

export interface OcrResult {
  blocks: Block[];
  width: number;
  height: number;
}

/**
 * Tesseract (WASM, from npm) with English data from npm; one Tesseract worker per compute-pool
 * thread, created on first use (the pool runs one page at a time per thread).
 */
export class Ocr {
  #worker: Promise<Worker> | undefined;

  #load(): Promise<Worker> {
    this.#worker ??= createWorker('eng', 1, { langPath: englishData.langPath, gzip: englishData.gzip, cacheMethod: 'none' }).catch((error: unknown) => {
      this.#worker = undefined;
      throw error;
    });
    return this.#worker;
  }

  /** Paragraph blocks with their boxes, in reading order. */
  async read(image: Uint8Array, page?: number, signal?: AbortSignal): Promise<OcrResult> {
    signal?.throwIfAborted();
    const worker = await this.#load();
    const { data } = await worker.recognize(Buffer.from(image), {}, { blocks: true, text: true });
    // Lines, each with its height; a paragraph's lines stay together unless their size differs.
    const lines: { text: string; height: number; paragraph: number; box: [number, number, number, number] }[] = [];
    let paragraphIndex = 0;
    for (const block of data.blocks ?? []) {
      for (const paragraph of block.paragraphs) {
        for (const line of paragraph.lines) {
          const text = line.text.replace(/\s+/g, ' ').trim();
          if (text) lines.push({ text, height: line.bbox.y1 - line.bbox.y0, paragraph: paragraphIndex, box: [line.bbox.x0, line.bbox.y0, line.bbox.x1, line.bbox.y1] });
        }
        paragraphIndex++;
      }
    }
    const body = [...lines.map((line) => line.height)].sort((a, b) => a - b)[Math.floor((lines.length - 1) / 2)] ?? 0;
    const isHeading = (line: (typeof lines)[number]) => lines.length > 1 && line.height >= body * 1.4 && line.text.length < 120;
    const blocks: Block[] = [];
    let previous: (typeof lines)[number] | undefined;
    for (const line of lines) {
      const last = blocks.at(-1);
      const joins = last && last.type === 'paragraph' && previous && previous.paragraph === line.paragraph && !isHeading(line) && !isHeading(previous);
      if (joins) {
        last.text += ` ${line.text}`;
        last.bbox = [Math.min(last.bbox![0], line.box[0]), last.bbox![1], Math.max(last.bbox![2], line.box[2]), line.box[3]];
      } else if (isHeading(line)) {
        blocks.push({ type: 'heading', level: line.height >= body * 2 ? 1 : 2, text: line.text, ...(page === undefined ? {} : { page }), bbox: line.box });
      } else {
        blocks.push({ type: 'paragraph', text: line.text, ...(page === undefined ? {} : { page }), bbox: line.box });
      }
      previous = line;
    }
    const width = Math.max(0, ...(data.blocks ?? []).map((block) => block.bbox.x1));
    const height = Math.max(0, ...(data.blocks ?? []).map((block) => block.bbox.y1));
    return { blocks, width, height };
  }

  async close(): Promise<void> {
    const worker = await this.#worker?.catch(() => undefined);
    await worker?.terminate();
  }
}

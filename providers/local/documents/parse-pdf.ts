import { getDocumentProxy, renderPageAsImage } from 'unpdf';
import { DocumentError, titleOf, type Block, type ParsedDocument } from './document-types.ts';
import type { Ocr } from './ocr.ts';
import { documentLimits, renderScale } from './limits.ts';

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  hasEOL?: boolean;
}

interface Line {
  text: string;
  size: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const ocrScale = 2;

/** Items on the same baseline join into lines, top to bottom. */
function toLines(items: TextItem[], pageHeight: number): Line[] {
  const lines: Line[] = [];
  const sorted = items
    .filter((item) => item.str.trim().length > 0)
    .map((item) => ({ item, size: Math.hypot(item.transform[2]!, item.transform[3]!) || 1, x: item.transform[4]!, y: item.transform[5]! }))
    .sort((a, b) => b.y - a.y || a.x - b.x);
  for (const { item, size, x, y } of sorted) {
    const top = pageHeight - y - size;
    const last = lines.at(-1);
    if (last && Math.abs(last.bottom - (pageHeight - y)) < size * 0.5) {
      last.text += (x - last.right > size * 0.15 && !last.text.endsWith(' ') ? ' ' : '') + item.str;
      last.right = Math.max(last.right, x + item.width);
      last.size = Math.max(last.size, size);
    } else lines.push({ text: item.str, size, left: x, top, right: x + item.width, bottom: pageHeight - y });
  }
  return lines.map((line) => ({ ...line, text: line.text.replace(/\s+/g, ' ').trim() }));
}

/**
 * Lines into blocks: a new block starts at a gap wider than a line, or a change of type size.
 * Text clearly larger than the document's body size is a heading, levelled by size.
 */
function toBlocks(lines: Line[], page: number, bodySize: number, headingSizes: number[]): Block[] {
  const blocks: Block[] = [];
  let current: { lines: Line[] } | undefined;
  const flush = () => {
    if (!current) return;
    const first = current.lines[0]!;
    const text = current.lines.map((line) => line.text).join(' ').trim();
    const bbox: [number, number, number, number] = [
      Math.min(...current.lines.map((line) => line.left)),
      first.top,
      Math.max(...current.lines.map((line) => line.right)),
      current.lines.at(-1)!.bottom,
    ];
    const level = headingSizes.findIndex((size) => Math.abs(size - first.size) < 0.5);
    if (first.size >= bodySize * 1.2 && level >= 0) blocks.push({ type: 'heading', level: Math.min(6, level + 1), text, page, bbox });
    else if (/^([•\-–*]|\d+[.)])\s/.test(text)) blocks.push({ type: 'list_item', text: text.replace(/^([•\-–*]|\d+[.)])\s+/, ''), page, bbox });
    else blocks.push({ type: 'paragraph', text, page, bbox });
    current = undefined;
  };
  for (const line of lines) {
    const previous = current?.lines.at(-1);
    const startsNew =
      !previous || Math.abs(previous.size - line.size) > 0.5 || line.top - previous.bottom > line.size * 0.9 || /^([•\-–*]|\d+[.)])\s/.test(line.text);
    if (startsNew) {
      flush();
      current = { lines: [line] };
    } else current!.lines.push(line);
  }
  flush();
  return blocks;
}

/** PDF via its text layer (unpdf); a page without one is rendered and read by OCR. */
export async function parsePdf(bytes: Uint8Array, ocr: Ocr, signal?: AbortSignal): Promise<ParsedDocument> {
  let document;
  try {
    document = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    throw new DocumentError('corrupt', `file: not a readable PDF (${(error as Error).message})`, { cause: error });
  }
  if (document.numPages > documentLimits.maxPdfPages) {
    throw new DocumentError('too_large', `file: a PDF of ${document.numPages} pages; the limit is ${documentLimits.maxPdfPages}`);
  }
  const pages: { lines: Line[] | undefined; number: number; width: number; height: number }[] = [];
  for (let number = 1; number <= document.numPages; number++) {
    signal?.throwIfAborted();
    const page = await document.getPage(number);
    const viewport = page.getViewport({ scale: 1 });
    const content = await page.getTextContent();
    const lines = toLines(content.items as TextItem[], viewport.height);
    pages.push({ number, lines: lines.length > 0 ? lines : undefined, width: viewport.width, height: viewport.height });
  }
  const scanned = pages.filter((page) => !page.lines).length;
  if (scanned > documentLimits.maxOcrPages) {
    throw new DocumentError('too_large', `file: ${scanned} pages have no text layer and need OCR; the limit is ${documentLimits.maxOcrPages}`);
  }

  const sizes = pages.flatMap((page) => (page.lines ?? []).flatMap((line) => Array(line.text.length).fill(Math.round(line.size * 2) / 2) as number[]));
  sizes.sort((a, b) => a - b);
  const bodySize = sizes[Math.floor(sizes.length / 2)] ?? 12;
  const headingSizes = [...new Set(sizes.filter((size) => size >= bodySize * 1.2))].sort((a, b) => b - a);

  const blocks: Block[] = [];
  const ocrPages: number[] = [];
  for (const page of pages) {
    if (page.number > 1) blocks.push({ type: 'page_break', text: '', page: page.number });
    if (page.lines) {
      blocks.push(...toBlocks(page.lines, page.number, bodySize, headingSizes));
      continue;
    }
    // No text layer: a scanned page, rendered no larger than the pixel limit.
    const scale = renderScale(page.width, page.height, ocrScale);
    let image: ArrayBuffer;
    try {
      image = await renderPageAsImage(new Uint8Array(bytes), page.number, { canvasImport: () => import('@napi-rs/canvas'), scale });
    } catch (error) {
      throw new DocumentError('corrupt', `file: page ${page.number} cannot be rendered (${(error as Error).message})`, { cause: error });
    }
    const read = await ocr.read(new Uint8Array(image), page.number, signal);
    blocks.push(...read.blocks.map((block) => ({ ...block, bbox: block.bbox?.map((value) => value / scale) as Block['bbox'] })));
    ocrPages.push(page.number);
  }
  const info = (await document.getMetadata().catch(() => undefined))?.info as { Title?: string } | undefined;
  return { type: 'pdf', pages: document.numPages, title: info?.Title?.trim() || titleOf(blocks), blocks, ocrPages };
}

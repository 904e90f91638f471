import mammoth from 'mammoth';
import { detectDocumentType } from './detect-type.ts';
import { DocumentError, titleOf, type ParsedDocument } from './document-types.ts';
import { Ocr } from './ocr.ts';
import { checkArchive, checkImage } from './limits.ts';
import { parseHtml } from './parse-html.ts';
import { parseMarkdown, parseText } from './parse-markdown.ts';
import { parsePdf } from './parse-pdf.ts';

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new DocumentError('corrupt', 'file: text that is not valid UTF-8', { cause: error });
  }
}

/** Every supported format into normalized blocks, offline: unpdf, mammoth, htmlparser2, marked, tesseract. */
export class DocumentParser {
  readonly #ocr = new Ocr();

  async parse(file: { bytes: Uint8Array; contentType: string | undefined; filename?: string | undefined }, signal?: AbortSignal): Promise<ParsedDocument> {
    if (file.bytes.byteLength === 0) throw new DocumentError('corrupt', 'file: empty');
    const type = detectDocumentType(file.bytes, file.contentType, file.filename);
    switch (type) {
      case 'pdf':
        return parsePdf(file.bytes, this.#ocr, signal);
      case 'docx': {
        checkArchive(file.bytes);
        let html: string;
        try {
          html = (await mammoth.convertToHtml({ buffer: Buffer.from(file.bytes) })).value;
        } catch (error) {
          throw new DocumentError('corrupt', `file: not a readable DOCX document (${(error as Error).message})`, { cause: error });
        }
        const { blocks, title } = parseHtml(html);
        return { type, pages: 1, title, blocks, ocrPages: [] };
      }
      case 'html': {
        const { blocks, title } = parseHtml(decodeUtf8(file.bytes));
        return { type, pages: 1, title, blocks, ocrPages: [] };
      }
      case 'markdown': {
        const blocks = parseMarkdown(decodeUtf8(file.bytes));
        return { type, pages: 1, title: titleOf(blocks), blocks, ocrPages: [] };
      }
      case 'text': {
        const blocks = parseText(decodeUtf8(file.bytes));
        return { type, pages: 1, title: null, blocks, ocrPages: [] };
      }
      case 'image': {
        checkImage(file.bytes);
        let read;
        try {
          read = await this.#ocr.read(file.bytes, 1, signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          throw new DocumentError('corrupt', `file: an image that cannot be read (${(error as Error).message ?? error})`, { cause: error });
        }
        return { type, pages: 1, title: titleOf(read.blocks), blocks: read.blocks, ocrPages: [1] };
      }
    }
  }

  close(): Promise<void> {
    return this.#ocr.close();
  }
}

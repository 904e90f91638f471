/** What every parser produces: normalized, layout-aware blocks plus document metadata. */
export type BlockType = 'heading' | 'paragraph' | 'list_item' | 'table' | 'code' | 'page_break';

export interface Block {
  type: BlockType;
  text: string;
  page?: number;
  /** Headings: 1 (largest) to 6. */
  level?: number;
  /** Where known (PDF, OCR): [left, top, right, bottom] in page units, origin at the top left. */
  bbox?: [number, number, number, number];
}

export type DocumentType = 'pdf' | 'docx' | 'html' | 'markdown' | 'text' | 'image';

export interface ParsedDocument {
  type: DocumentType;
  pages: number;
  title: string | null;
  blocks: Block[];
  /** Pages (or the image) read by OCR because they had no text layer. */
  ocrPages: number[];
}

/** A file the parser cannot read: wrong kind (415) or damaged (400). */
export class DocumentError extends Error {
  readonly kind: 'unsupported' | 'corrupt';

  constructor(kind: 'unsupported' | 'corrupt', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocumentError';
    this.kind = kind;
  }
}

export function titleOf(blocks: Block[]): string | null {
  return blocks.find((block) => block.type === 'heading')?.text ?? null;
}

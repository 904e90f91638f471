import { ProviderError, type ProviderErrorKind } from '../../spec/provider-error.ts';

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

/** Why a file cannot be read: wrong kind (415), damaged (400), or beyond the parser's limits (413). */
export type DocumentErrorKind = 'unsupported' | 'corrupt' | 'too_large';

/** A file the parser cannot read; always an error of the request, never of the process. */
const providerKindOf = { unsupported: 'unsupported', corrupt: 'invalid_request', too_large: 'too_large' } as const satisfies Record<DocumentErrorKind, ProviderErrorKind>;

/** A file the parser cannot or will not read; always the `file` field's fault. */
export class DocumentError extends ProviderError {
  constructor(kind: DocumentErrorKind, message: string, options?: { cause?: unknown }) {
    super(providerKindOf[kind], message, { param: 'file', cause: options?.cause });
    this.name = 'DocumentError';
  }
}

export function titleOf(blocks: Block[]): string | null {
  return blocks.find((block) => block.type === 'heading')?.text ?? null;
}

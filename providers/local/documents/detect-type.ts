import { DocumentError, type DocumentType } from './document-types.ts';

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) => signature.every((byte, index) => bytes[offset + index] === byte);

/**
 * The document's type from its bytes first (magic numbers cannot lie about PDF, ZIP or image
 * formats), then from its declared content type for the text formats.
 */
export function detectDocumentType(bytes: Uint8Array, contentType: string | undefined, filename?: string): DocumentType {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) return 'pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47]) || startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'image';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    if (contentType?.includes('wordprocessingml') || filename?.toLowerCase().endsWith('.docx') || Buffer.from(bytes).includes('word/')) return 'docx';
    throw new DocumentError('unsupported', 'file: a ZIP archive that is not a DOCX document');
  }
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  // Declared as a supported binary format whose signature the bytes lack: damaged or mislabelled.
  if (type === 'application/pdf' || type.includes('wordprocessingml') || /^image\/(png|jpeg|webp|tiff)$/.test(type)) {
    throw new DocumentError('corrupt', `file: declared ${type}, but the bytes are not one`);
  }
  const extension = filename?.toLowerCase().split('.').at(-1);
  if (type === 'text/html' || type === 'application/xhtml+xml' || extension === 'html' || extension === 'htm') return 'html';
  if (type === 'text/markdown' || type === 'text/x-markdown' || extension === 'md' || extension === 'markdown') return 'markdown';
  if (type === 'text/plain' || type === '' || extension === 'txt') {
    if (bytes.includes(0)) throw new DocumentError('unsupported', 'file: binary content of an unknown type');
    const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').trimStart().toLowerCase();
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
    return 'text';
  }
  throw new DocumentError('unsupported', `file: ${type} is not a supported document type (PDF, DOCX, HTML, Markdown, text, PNG, JPEG, WebP, TIFF)`);
}

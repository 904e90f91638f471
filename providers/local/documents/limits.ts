import { imageSize } from 'image-size';
import { DocumentError } from './document-types.ts';

/**
 * What the offline parser takes on, checked before the work: each limit answers 413 naming the
 * file and the limit (README, "Limits"). They keep one request from holding a thread for minutes
 * or its memory for gigabytes; the thread's own heap limit is the last guard.
 */
export const documentLimits = {
  /** Pixels of an image read by OCR (about 6300 × 6300). */
  maxImagePixels: 40_000_000,
  /** Pages of a PDF. */
  maxPdfPages: 2_000,
  /** Scanned PDF pages read by OCR in one document. */
  maxOcrPages: 50,
  /** Pixels a scanned page is rendered to for OCR (4096 × 4096); larger pages render smaller. */
  maxRenderPixels: 4096 * 4096,
  /** Entries in a DOCX archive. */
  maxArchiveEntries: 5_000,
  /** Uncompressed bytes of one DOCX entry, and of all of them. */
  maxEntryBytes: 16 * 1024 * 1024,
  maxArchiveBytes: 128 * 1024 * 1024,
} as const;

const tooLarge = (message: string) => new DocumentError('too_large', `file: ${message}`);

/** An image's size from its header, refused when it is unreadable or too many pixels to OCR. */
export function checkImage(bytes: Uint8Array): { width: number; height: number } {
  let size: { width?: number; height?: number };
  try {
    // A copy of exactly these bytes: image-size reads through the underlying buffer, and a view
    // into a larger one would let a truncated header borrow its neighbours' bytes.
    size = imageSize(new Uint8Array(bytes));
  } catch (error) {
    throw new DocumentError('corrupt', `file: an image whose header cannot be read (${(error as Error).message})`, { cause: error });
  }
  const { width = 0, height = 0 } = size;
  if (width <= 0 || height <= 0) throw new DocumentError('corrupt', 'file: an image without dimensions');
  if (width * height > documentLimits.maxImagePixels) {
    throw tooLarge(`a ${width}×${height} image; OCR reads at most ${documentLimits.maxImagePixels.toLocaleString('en')} pixels`);
  }
  return { width, height };
}

/**
 * The entries a ZIP archive declares in its central directory, refused when there are too many
 * or they would inflate beyond the limits: a compression bomb is stopped before it is opened.
 */
export function checkArchive(bytes: Uint8Array): void {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
  let end = -1;
  for (let offset = view.length - 22; offset >= Math.max(0, view.length - 65_557); offset--) {
    if (view.readUInt32LE(offset) === 0x06054b50) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new DocumentError('corrupt', 'file: a DOCX whose ZIP directory is missing (truncated?)');
  const entries = view.readUInt16LE(end + 10);
  const directoryOffset = view.readUInt32LE(end + 16);
  if (entries > documentLimits.maxArchiveEntries) throw tooLarge(`a DOCX with ${entries} entries; the limit is ${documentLimits.maxArchiveEntries}`);
  let offset = directoryOffset;
  let total = 0;
  for (let index = 0; index < entries; index++) {
    if (offset + 46 > view.length || view.readUInt32LE(offset) !== 0x02014b50) throw new DocumentError('corrupt', 'file: a DOCX whose ZIP directory is damaged');
    const uncompressed = view.readUInt32LE(offset + 24);
    if (uncompressed > documentLimits.maxEntryBytes) {
      throw tooLarge(`a DOCX part inflates to ${uncompressed} bytes; the limit per part is ${documentLimits.maxEntryBytes}`);
    }
    total += uncompressed;
    offset += 46 + view.readUInt16LE(offset + 28) + view.readUInt16LE(offset + 30) + view.readUInt16LE(offset + 32);
  }
  if (total > documentLimits.maxArchiveBytes) throw tooLarge(`a DOCX that inflates to ${total} bytes; the limit is ${documentLimits.maxArchiveBytes}`);
}

/** The scale to render a page at for OCR: 2× where it fits, smaller for pages beyond the pixel limit. */
export function renderScale(width: number, height: number, preferred: number): number {
  const fitting = Math.sqrt(documentLimits.maxRenderPixels / Math.max(1, width * height));
  return Math.min(preferred, fitting);
}

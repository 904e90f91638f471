import { z } from 'zod';
import { asyncFields, storageRefSchema } from './common.ts';
import { markdownNote } from './example-files.ts';

export const blockTypeSchema = z.enum(['heading', 'paragraph', 'list_item', 'table', 'code', 'page_break', 'text']);

export const inputBlockSchema = z.object({
  type: blockTypeSchema.default('paragraph'),
  text: z.string(),
  page: z.int().min(1).optional(),
  level: z.int().min(1).max(6).optional(),
});

export const chunkRequestSchema = z
  .strictObject({
    text: z.string().min(1).max(50_000_000).optional(),
    blocks: z.array(inputBlockSchema).min(1).max(100_000).optional(),
    max_chars: z.int().min(100).max(8000).default(1500),
    overlap_chars: z.int().min(0).max(4000).default(0),
  })
  .superRefine((request, ctx) => {
    if ((request.text === undefined) === (request.blocks === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'Provide text or blocks (exactly one)' });
    }
    // Each chunk then moves the window on by at least a quarter of max_chars: output stays bounded.
    if (request.overlap_chars > request.max_chars / 2) {
      ctx.addIssue({ code: 'custom', path: ['overlap_chars'], message: `Must be at most half of max_chars (${Math.floor(request.max_chars / 2)})` });
    }
  })
  .meta({
    id: 'ChunkRequest',
    examples: [
      {
        text:
          'The river begins in the mountains, where snow melts each spring.\n\nFurther down, the valley widens and farms line both banks. ' +
          'By the time it reaches the coast, the river is slow and brown, spreading into a delta of marshes.',
        max_chars: 120,
        overlap_chars: 20,
      },
    ],
  });
export type ChunkRequest = z.output<typeof chunkRequestSchema>;

export const chunkResponseSchema = z
  .object({
    object: z.literal('list'),
    chunks: z.array(
      z.object({
        id: z.string().meta({ description: 'Stable: a hash of the content and its position' }),
        index: z.int(),
        text: z.string(),
        start: z.int().meta({ description: 'Offset of the first character in the source' }),
        end: z.int().meta({ description: 'Offset after the last character: source.slice(start, end) is the text' }),
        blocks: z.array(z.int()),
        pages: z.array(z.int()),
        char_count: z.int(),
      }),
    ),
    source_chars: z.int().meta({ description: 'Length of the source; with blocks, their texts joined by a blank line' }),
    max_chars: z.int(),
    overlap_chars: z.int(),
  })
  .meta({ id: 'Chunks' });

export const parseRequestSchema = z
  .strictObject({
    file: z
      .object({
        data: z
          .string()
          .min(1)
          .regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64')
          .meta({ description: 'The file, base64-encoded' }),
        content_type: z.string().min(1).max(255).optional(),
        filename: z.string().max(255).optional(),
      })
      .optional()
      .meta({ description: 'Inline file (or send multipart/form-data with a "file" part)' }),
    storage_ref: storageRefSchema.optional().meta({ description: 'A stored object to parse instead' }),
    ...asyncFields,
  })
  .superRefine((request, ctx) => {
    if ((request.file === undefined) === (request.storage_ref === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'Provide file or storage_ref (exactly one)' });
    }
  })
  .meta({ id: 'ParseDocumentRequest', examples: [{ file: { data: markdownNote, content_type: 'text/markdown', filename: 'notes.md' } }] });
export type ParseRequest = z.output<typeof parseRequestSchema>;

export const parsedDocumentSchema = z
  .object({
    object: z.literal('document'),
    metadata: z.object({
      detected_type: z.enum(['pdf', 'docx', 'html', 'markdown', 'text', 'image']),
      content_type: z.string().nullable(),
      pages: z.int(),
      title: z.string().nullable(),
      ocr_pages: z.array(z.int()).meta({ description: 'Pages read by OCR (no text layer, or an image)' }),
      characters: z.int(),
    }),
    blocks: z.array(
      z.object({
        type: z.enum(['heading', 'paragraph', 'list_item', 'table', 'code', 'page_break']),
        text: z.string(),
        page: z.int().optional(),
        level: z.int().optional(),
        bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional().meta({ description: '[left, top, right, bottom], origin top left' }),
      }),
    ),
  })
  .meta({ id: 'ParsedDocument' });

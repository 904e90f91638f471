import { runCharged } from '../accounts/billing.ts';
import { router } from '../router/trpc.ts';
import { defineNativeMutation } from '../router/primitive.ts';
import {
  chunkRequestSchema,
  chunkResponseSchema,
  parsedDocumentSchema,
  parseRequestSchema,
  type ChunkRequest,
  type ParseRequest,
} from '../schema/api/documents.ts';
import { scopeOf, type CallContext } from '../router/context.ts';
import type { ParseTask } from '../providers/local/compute/tasks.ts';

/** The reference prices a chunk call itself (0.0000015 tokens), whatever its size. */
const chunkPricing = { id: 'service:documents.chunk', pricing: { unit: 'call' as const, per_unit: '0.0000015' } };

const chunk = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Documents',
  errorStatuses: [400, 401, 402, 403, 429, 503],
  heavyWork: 'always',
  run: async (request: ChunkRequest, ctx) => {
    const oneCall = { input: 1, output: 0 };
    const { source, chunks } = await runCharged(
      ctx,
      { primitive: 'documents.chunk', model: chunkPricing, upperBound: oneCall, rateEstimate: 0 },
      () => ctx.services.providers.chunker.chunk(request.blocks ?? [{ text: request.text! }], { maxChars: request.max_chars, overlapChars: request.overlap_chars }, scopeOf(ctx)),
      () => oneCall,
    );
    return {
      object: 'list' as const,
      chunks: chunks.map((item) => ({ ...item, char_count: item.text.length })),
      source_chars: source.length,
      max_chars: request.max_chars,
      overlap_chars: request.overlap_chars,
    };
  },
  route: {
    path: '/infra/ai/documents/chunk',
    summary: 'Chunk a document',
    description:
      'Deterministic chunking of text or parsed blocks: cuts prefer block, then paragraph, then sentence, then word boundaries; ' +
      'every chunk has a stable id, character offsets into the source, and the blocks and pages it spans.',
    input: chunkRequestSchema,
    toArgs: (input) => input,
    output: chunkResponseSchema,
    toOutput: (chunks) => chunks,
  },
});

/** Parsing runs offline and is not charged; each call is recorded (unit: call). */
const parsePricing = { id: 'local:document-parser', pricing: { unit: 'call' as const, per_unit: '0' } };

/** A stored file is read only when its parse has a thread: a parse waiting in line holds no bytes. */
async function loadStoredFile(request: ParseRequest, ctx: CallContext): Promise<ParseTask> {
  const { object, bytes } = await ctx.services.storage.getObject(ctx.principal.projectId, request.storage_ref!, 'storage_ref.key');
  return { bytes, contentType: object.content_type, filename: object.key.split('/').at(-1) };
}

async function parseDocument(request: ParseRequest, ctx: CallContext) {
  // A missing object or bucket is refused before the call is charged or queued.
  let contentType = request.file ? request.file.content_type : (await ctx.services.storage.headObject(ctx.principal.projectId, request.storage_ref!, 'storage_ref.key')).content_type;
  // Inline base64 is decoded by the thread that parses it, off the event loop.
  const file = request.file
    ? { base64: request.file.data, contentType, filename: request.file.filename }
    : async () => {
        const stored = await loadStoredFile(request, ctx);
        contentType = stored.contentType;
        return stored;
      };
  const oneCall = { input: 1, output: 0 };
  const parsed = await runCharged(
    ctx,
    { primitive: 'documents.parse', model: parsePricing, upperBound: oneCall, rateEstimate: 0 },
    () => ctx.services.providers.documents.parse(file, scopeOf(ctx)),
    () => oneCall,
  );
  return {
    object: 'document' as const,
    metadata: {
      detected_type: parsed.type,
      content_type: contentType ?? null,
      pages: parsed.pages,
      title: parsed.title,
      ocr_pages: parsed.ocrPages,
      characters: parsed.blocks.reduce((sum, block) => sum + block.text.length, 0),
    },
    blocks: parsed.blocks,
  };
}

const parse = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Documents',
  errorStatuses: [400, 401, 402, 403, 404, 429, 503],
  heavyWork: 'always',
  async: {
    kind: 'documents.parse',
    // A storage_ref must exist and be the caller's before the operation is accepted.
    precheck: async (input: unknown, ctx: CallContext) => {
      const request = input as ParseRequest;
      if (request.storage_ref) await ctx.services.storage.headObject(ctx.principal.projectId, request.storage_ref, 'storage_ref.key');
    },
  },
  run: parseDocument,
  route: {
    path: '/infra/ai/documents/parse',
    summary: 'Parse a document',
    description:
      'PDF (text layer; scanned pages rendered and read by OCR), DOCX, HTML, Markdown, plain text, and PNG/JPEG/WebP/TIFF images (OCR) ' +
      'into normalized blocks (heading with level, paragraph, list_item, table, code, page_break; page and bbox where known) plus metadata. ' +
      'Send JSON (file as base64, or storage_ref) or multipart/form-data with a "file" part (its own Content-Type names the type) and the other fields as form fields. ' +
      'Unsupported types answer 415, damaged files 400.',
    input: parseRequestSchema,
    toArgs: (input) => input,
    output: parsedDocumentSchema,
    toOutput: (parsed) => parsed,
    multipart: {
      files: { file: { required: true, into: (file) => ({ file: { data: file.data.toString('base64'), content_type: file.contentType, filename: file.filename } }) } },
    },
  },
});

export const documentsRouter = router({ chunk, parse });

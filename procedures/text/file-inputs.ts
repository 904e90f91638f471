import { ApiError } from '../../router/errors.ts';
import { scopeOf, type CallContext } from '../../router/context.ts';
import type { ContentPartInput } from '../../schema/api/text-generation.ts';

type FilePart = Extract<ContentPartInput, { type: 'input_file' }>;
interface WithContent {
  content?: string | ContentPartInput[] | null | undefined;
}

const dataUrl = /^data:([^;,]+)?(?:;[^,]*)?,(.*)$/s;

/** The text of an inline file: parsed on the compute pool like `documents/parse`, blocks joined. */
async function readFile(part: FilePart, param: string, ctx: CallContext): Promise<string> {
  if (!part.file_data) throw new ApiError('bad_request', `${param}.file_data: an input_file needs its data inline`, { param: `${param}.file_data` });
  const match = dataUrl.exec(part.file_data);
  const base64 = (match ? match[2]! : part.file_data).trim();
  if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(base64)) {
    throw new ApiError('bad_request', `${param}.file_data: must be base64 or a base64 data: URL`, { param: `${param}.file_data` });
  }
  // Decoded by the thread that parses it, off the event loop.
  const parsed = await ctx.services.providers.documents.parse({ base64, contentType: match?.[1], filename: part.filename }, scopeOf(ctx));
  const text = parsed.blocks.map((block) => block.text).filter(Boolean).join('\n\n');
  return `${part.filename ? `[${part.filename}]\n` : ''}${text}`;
}

/**
 * Messages whose `input_file` parts are replaced by the text of those files, so every text model
 * reads documents, whatever it accepts natively. Without file parts, the same messages.
 */
export async function readFileParts<T extends object>(messages: T[], path: string, ctx: CallContext): Promise<T[]> {
  const partsOf = (message: T) => (message as WithContent).content;
  if (!messages.some((message) => { const parts = partsOf(message); return Array.isArray(parts) && parts.some((part) => part.type === 'input_file'); })) return messages;
  return Promise.all(
    messages.map(async (message, index) => {
      const parts = partsOf(message);
      if (!Array.isArray(parts)) return message;
      const content = await Promise.all(
        parts.map(async (part, partIndex): Promise<ContentPartInput> =>
          part.type === 'input_file' ? { type: 'input_text', text: await readFile(part, `${path}.${index}.content.${partIndex}`, ctx) } : part,
        ),
      );
      return { ...message, content };
    }),
  );
}

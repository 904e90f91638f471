import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { z } from 'zod';
import { ApiError } from '../../router/errors.ts';
import type { MultipartDeclaration, UploadedFile } from '../../router/transport.ts';
import { idleTimeout, tooLarge } from './bodies.ts';
import { valuesAsInput } from './form-values.ts';
import { assertCleanText } from './text-checks.ts';

const maxFieldBytes = 64 * 1024;
const maxFields = 50;

interface Upload {
  files: Record<string, UploadedFile>;
  fields: Map<string, string[]>;
}

/**
 * A form text read as latin1 (one character a byte) as the UTF-8 it must be, checked like every
 * other text; text busboy decoded itself (an RFC 5987 `filename*`, a part naming its charset)
 * holds characters past U+00FF and is taken as it is.
 */
function utf8Text(latin1: string, field: string): string {
  let text = latin1;
  if (!/[^\u0000-\u00ff]/.test(latin1)) {
    const bytes = Buffer.from(latin1, 'latin1');
    if (!isUtf8(bytes)) throw new ApiError('bad_request', `${field}: not valid UTF-8`, { param: field });
    text = bytes.toString('utf8');
  }
  assertCleanText(text, field);
  return text;
}

/** The most a multipart body of this declaration may hold: its files, plus its fields and part headers. */
export function multipartBound(maxFileBytes: number, declaration: MultipartDeclaration): number {
  return maxFileBytes * Object.keys(declaration.files).length + maxFields * maxFieldBytes;
}

/**
 * Reads a multipart body: the declared file parts (each bounded by `maxFileBytes`) and plain
 * fields (checked as text like every other field), stopping when the client sends nothing for
 * `idleMs`.
 */
function readMultipart(req: IncomingMessage, maxFileBytes: number, idleMs: number, declaration: MultipartDeclaration): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const upload: Upload = { fields: new Map(), files: {} };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Text is read as its bytes (latin1 keeps each byte a character), so bytes that are not
        // UTF-8 are refused below rather than silently replaced with U+FFFD.
        defCharset: 'latin1',
        defParamCharset: 'latin1',
        limits: { fileSize: maxFileBytes, files: Object.keys(declaration.files).length, fields: maxFields, fieldSize: maxFieldBytes },
      });
    } catch (error) {
      reject(new ApiError('bad_request', `body: malformed multipart body (${(error as Error).message})`, { param: 'body' }));
      return;
    }
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      req.off('data', armIdle);
      if (error) {
        req.unpipe(parser);
        req.pause();
        reject(error);
      } else resolve(upload);
    };
    const armIdle = () => void idle?.refresh();
    parser.on('file', (name, stream, info) => {
      const field = name.replace(/\[\]$/, '');
      if (!(field in declaration.files)) {
        stream.resume();
        settle(new ApiError('bad_request', `${field}: not a file field of this route (it takes ${Object.keys(declaration.files).join(', ')})`, { param: field }));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => settle(new ApiError('payload_too_large', `${field}: larger than this route takes (${maxFileBytes} bytes)`, { param: field })));
      stream.on('end', () => {
        if (upload.files[field]) return;
        let filename: string;
        try {
          filename = utf8Text(info.filename ?? 'upload', `${field}.filename`);
          assertCleanText(info.mimeType, `${field}.content_type`);
        } catch (error) {
          settle(error as Error);
          return;
        }
        upload.files[field] = { data: Buffer.concat(chunks), contentType: info.mimeType, filename };
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        settle(new ApiError('payload_too_large', `${name}: form fields are limited to ${maxFieldBytes} bytes`, { param: name }));
        return;
      }
      let text: string;
      try {
        assertCleanText(name, 'body');
        text = utf8Text(value, name);
      } catch (error) {
        settle(error as Error);
        return;
      }
      const values = upload.fields.get(name);
      if (values) values.push(text);
      else upload.fields.set(name, [text]);
    });
    parser.on('fieldsLimit', () => settle(new ApiError('bad_request', `body: too many form fields (at most ${maxFields})`, { param: 'body' })));
    parser.on('filesLimit', () => settle(new ApiError('bad_request', 'body: too many file parts; send each file field once', { param: 'body' })));
    parser.on('error', (error) => settle(new ApiError('bad_request', `body: malformed multipart body (${(error as Error).message})`, { param: 'body' })));
    parser.on('close', () => settle());
    req.on('data', armIdle);
    idle = setTimeout(() => settle(idleTimeout(idleMs)), idleMs);
    req.pipe(parser);
  });
}

/**
 * A multipart request as the JSON input its procedure takes: declared file parts mapped into the
 * input, every other field coerced to its type in the input schema. Unknown fields are refused,
 * never dropped.
 */
export async function inputFromMultipart(req: IncomingMessage, maxFileBytes: number, idleMs: number, declaration: MultipartDeclaration, schema: z.ZodObject): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const bound = multipartBound(maxFileBytes, declaration);
  if (declared > bound) throw tooLarge(bound);
  const { files, fields } = await readMultipart(req, maxFileBytes, idleMs, declaration);
  const input = valuesAsInput(fields, schema, 'form field');
  for (const [name, file] of Object.entries(declaration.files)) {
    const uploaded = files[name];
    if (!uploaded) {
      if (file.required) throw new ApiError('bad_request', `${name}: a multipart "${name}" file part is required`, { param: name });
      continue;
    }
    Object.assign(input, file.into(uploaded));
  }
  return input;
}

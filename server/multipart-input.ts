import busboy from 'busboy';
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiError } from '../router/errors.ts';
import type { MultipartDeclaration, UploadedFile } from '../router/transport.ts';

const maxFieldBytes = 64 * 1024;
const maxFields = 50;

interface Upload {
  files: Record<string, UploadedFile>;
  fields: Record<string, string | string[]>;
}

/** Reads a multipart body: the declared file parts (each bounded by `maxBytes`) and plain fields. */
function readMultipart(req: Request, maxBytes: number, declaration: MultipartDeclaration): Promise<Upload> {
  // The files plus their fields and part headers: a body declared larger is refused unread.
  const declared = Number(req.headers['content-length'] ?? 0);
  const bound = maxBytes * Object.keys(declaration.files).length + maxFields * maxFieldBytes;
  if (declared > bound) return Promise.reject(new ApiError('payload_too_large', `body: ${declared} bytes; this route takes at most ${bound}`));
  return new Promise((resolve, reject) => {
    const upload: Upload = { fields: {}, files: {} };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: maxBytes, files: Object.keys(declaration.files).length, fields: maxFields, fieldSize: maxFieldBytes },
      });
    } catch (error) {
      reject(new ApiError('bad_request', `Malformed multipart body: ${(error as Error).message}`));
      return;
    }
    const fail = (error: ApiError) => {
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    parser.on('file', (name, stream, info) => {
      const field = name.replace(/\[\]$/, '');
      if (!(field in declaration.files)) {
        stream.resume();
        fail(new ApiError('bad_request', `${field}: not a file field of this route (it takes ${Object.keys(declaration.files).join(', ')})`, { param: field }));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new ApiError('payload_too_large', `${field}: larger than MAX_BODY_BYTES (${maxBytes})`, { param: field })));
      stream.on('end', () => {
        if (upload.files[field]) return;
        upload.files[field] = { data: Buffer.concat(chunks), contentType: info.mimeType, filename: info.filename ?? 'upload' };
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(new ApiError('payload_too_large', `${name}: form fields are limited to ${maxFieldBytes} bytes`, { param: name }));
        return;
      }
      // `name[]` and repeated names collect into a list.
      const field = name.replace(/\[\]$/, '');
      const previous = upload.fields[field];
      if (name.endsWith('[]') || previous !== undefined) {
        upload.fields[field] = [...(previous === undefined ? [] : Array.isArray(previous) ? previous : [previous]), value];
      } else upload.fields[field] = value;
    });
    parser.on('fieldsLimit', () => fail(new ApiError('bad_request', `Too many form fields (at most ${maxFields})`)));
    parser.on('filesLimit', () => fail(new ApiError('bad_request', 'Too many file parts: send each file field once')));
    parser.on('error', (error) => fail(new ApiError('bad_request', `Malformed multipart body: ${(error as Error).message}`)));
    parser.on('close', () => resolve(upload));
    req.pipe(parser);
  });
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; in?: ZodInternals; element?: ZodInternals; values?: unknown[] } };
}

/** The zod definition under optional, default, nullable and pipe wrappers. */
function baseDef(schema: z.ZodType): ZodInternals['_zod']['def'] {
  let current = schema as unknown as ZodInternals;
  for (;;) {
    const def = current._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return def;
  }
}

/**
 * A form field as the JSON value its schema wants: booleans and numbers from their text, objects,
 * arrays and unions from JSON (falling back to the text, which the schema then judges).
 */
function coerce(value: string, schema: z.ZodType): unknown {
  const def = baseDef(schema);
  // A literal is read as the kind of value it is: `stream=false` is the boolean false.
  const literalKind = def.type === 'literal' ? typeof def.values?.[0] : undefined;
  switch (literalKind === 'boolean' ? 'boolean' : literalKind === 'number' ? 'number' : def.type) {
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'number':
    case 'int':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'string':
    case 'enum':
    case 'literal':
    case 'template_literal':
      return value;
    default:
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
  }
}

/**
 * A multipart request as the JSON input its procedure takes: declared file parts mapped into the
 * input, every other field coerced to its type in the input schema. Unknown fields are refused,
 * never dropped.
 */
export async function inputFromMultipart(req: Request, maxBytes: number, declaration: MultipartDeclaration, schema: z.ZodObject): Promise<Record<string, unknown>> {
  const { files, fields } = await readMultipart(req, maxBytes, declaration);
  const shape = schema.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const fieldSchema = shape[name];
    if (!fieldSchema) throw new ApiError('bad_request', `${name}: not a field of this route`, { param: name });
    const element = baseDef(fieldSchema).element as z.ZodType | undefined;
    input[name] = Array.isArray(value) ? value.map((item) => coerce(item, element ?? fieldSchema)) : coerce(value, fieldSchema);
  }
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

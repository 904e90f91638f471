import busboy from 'busboy';
import express, { type Request, type Response, type Router } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { ApiError, describeError } from '../router/errors.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { sendError } from './error-responses.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';

const createCaller = createCallerFactory(appRouter);

interface UploadedFile {
  data: Buffer;
  contentType: string;
  filename: string;
}

interface Upload {
  /** The part named `file`. */
  file?: UploadedFile;
  /** Every file part by field name (`image[]` counts as `image`). */
  files: Record<string, UploadedFile>;
  fields: Record<string, string>;
}

/** Reads a multipart body: one `file` part (bounded by MAX_BODY_BYTES) and plain fields. */
export function readMultipart(req: Request, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const upload: Upload = { fields: {}, files: {} };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 4, fields: 20, fieldSize: 64 * 1024 } });
    } catch (error) {
      reject(new ApiError('bad_request', `Malformed multipart body: ${(error as Error).message}`));
      return;
    }
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => reject(new ApiError('payload_too_large', `${name}: larger than MAX_BODY_BYTES`, { param: name })));
      stream.on('end', () => {
        const uploaded = { data: Buffer.concat(chunks), contentType: info.mimeType, filename: info.filename ?? 'upload' };
        const field = name.replace(/\[\]$/, '');
        upload.files[field] ??= uploaded;
        if (field === 'file') upload.file = uploaded;
      });
    });
    parser.on('field', (name, value) => (upload.fields[name] = value));
    parser.on('error', (error) => reject(new ApiError('bad_request', `Malformed multipart body: ${(error as Error).message}`)));
    parser.on('close', () => resolve(upload));
    req.pipe(parser);
  });
}

function jsonField(fields: Record<string, string>, name: string): unknown {
  if (fields[name] === undefined) return undefined;
  try {
    return JSON.parse(fields[name]!);
  } catch {
    throw new ApiError('bad_request', `${name}: must be JSON`, { param: name });
  }
}

/**
 * `multipart/form-data` for document parse: the upload becomes the same JSON input the procedure
 * takes (file as base64), so validation, billing and `async: true` are the procedure's own.
 */
export function createMultipartRouter(services: Services): Router {
  const multipart = express.Router();
  multipart.post('/infra/ai/documents/parse', async (req: Request, res: Response, next) => {
    if (!req.is('multipart/form-data')) return next();
    localsOf(res).log.route = '/infra/ai/documents/parse';
    const ctx = createRequestContext(services, req, res);
    try {
      const upload = await readMultipart(req, services.config.maxBodyBytes);
      if (!upload.file) throw new ApiError('bad_request', 'file: a multipart "file" part is required', { param: 'file' });
      const input = {
        file: { data: upload.file.data.toString('base64'), content_type: upload.fields.content_type ?? upload.file.contentType, filename: upload.file.filename },
        async: upload.fields.async === 'true',
        ...(upload.fields.webhook_topic ? { webhook_topic: upload.fields.webhook_topic } : {}),
        ...(upload.fields.result_destination ? { result_destination: jsonField(upload.fields, 'result_destination') } : {}),
      };
      const output = await createCaller(ctx).infra.ai.documents.parse(input as never);
      applyResponseHeaders(res, ctx);
      res.status(ctx.response.status ?? 200).json(output);
    } catch (error) {
      applyResponseHeaders(res, ctx);
      sendError(req, res, describeError(error));
    }
  });
  return multipart;
}

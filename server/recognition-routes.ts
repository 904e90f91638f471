import express, { type Request, type Response, type Router } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { ApiError, describeError } from '../router/errors.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { sendError } from './error-responses.ts';
import { readMultipart } from './multipart-routes.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

const plainTextFormats = new Set(['text', 'srt', 'vtt']);

/** An OpenAI-style multipart upload as the JSON input the procedures take. */
async function inputFromMultipart(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const { file, fields } = await readMultipart(req, maxBytes);
  if (!file) throw new ApiError('bad_request', 'file: a multipart "file" part is required', { param: 'file' });
  const temperature = fields.temperature === undefined ? undefined : Number(fields.temperature);
  return {
    base64: file.data.toString('base64'),
    content_type: file.contentType,
    name: file.filename,
    ...(fields.model ? { model: fields.model } : {}),
    ...(fields.prompt ? { prompt: fields.prompt } : {}),
    ...(fields.language ? { language: fields.language } : {}),
    ...(fields.response_format ? { response_format: fields.response_format } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(fields.async === 'true' ? { async: true } : {}),
    ...(fields.webhook_topic ? { webhook_topic: fields.webhook_topic } : {}),
  };
}

const routes: { path: string; native: boolean; call: (caller: Caller, input: unknown) => Promise<unknown> }[] = [
  { path: '/v1/audio/transcriptions', native: false, call: (caller, input) => caller.v1.audio.transcriptions.create(input as never) },
  { path: '/v1/audio/translations', native: false, call: (caller, input) => caller.v1.audio.translations.create(input as never) },
  { path: '/infra/ai/audio/transcriptions', native: true, call: (caller, input) => caller.infra.ai.audio.transcriptions.create(input as never) },
  { path: '/infra/ai/audio/translations', native: true, call: (caller, input) => caller.infra.ai.audio.translations.create(input as never) },
];

/**
 * Speech recognition as OpenAI clients send it (multipart) and answer it (text, SRT and WebVTT as
 * plain text). Native JSON requests go through the REST adapter; native multipart comes here.
 */
export function createRecognitionRouter(services: Services): Router {
  const recognition = express.Router();
  for (const route of routes) {
    recognition.post(route.path, async (req: Request, res: Response, next) => {
      const multipart = req.is('multipart/form-data') === 'multipart/form-data';
      if (route.native && !multipart) return next();
      localsOf(res).log.route = route.path;
      const ctx = createRequestContext(services, req, res);
      try {
        const input = multipart ? await inputFromMultipart(req, services.config.maxBodyBytes) : ((req.body ?? {}) as Record<string, unknown>);
        const result = (await route.call(createCaller(ctx), input)) as { object?: string; text?: string; data?: { object?: string } };
        applyResponseHeaders(res, ctx);
        const accepted = result.object === 'ai.operation' || result.data?.object === 'ai.operation';
        if (!route.native && !accepted && plainTextFormats.has(String(input.response_format))) {
          res.status(200).type('text/plain').send(result.text);
          return;
        }
        res.status(accepted ? 202 : 200).json(result);
      } catch (error) {
        applyResponseHeaders(res, ctx);
        sendError(req, res, describeError(error));
      }
    });
  }
  return recognition;
}

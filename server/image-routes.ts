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

const routes: { path: string; call: (caller: Caller, input: unknown) => Promise<unknown> }[] = [
  { path: '/v1/images/edits', call: (caller, input) => caller.v1.images.edits.create(input as never) },
  { path: '/v1/images/variations', call: (caller, input) => caller.v1.images.variations.create(input as never) },
  { path: '/infra/ai/images/edits', call: (caller, input) => caller.infra.ai.images.edits.create(input as never) },
  { path: '/infra/ai/images/variations', call: (caller, input) => caller.infra.ai.images.variations.create(input as never) },
];

/** Multipart image edits and variations (how OpenAI clients send them), turned into the procedures' JSON input. */
export function createImageRouter(services: Services): Router {
  const images = express.Router();
  for (const route of routes) {
    images.post(route.path, async (req: Request, res: Response, next) => {
      if (req.is('multipart/form-data') !== 'multipart/form-data') return next();
      localsOf(res).log.route = route.path;
      const ctx = createRequestContext(services, req, res);
      try {
        const { files, fields } = await readMultipart(req, services.config.maxBodyBytes);
        const asSource = (file: (typeof files)[string] | undefined) =>
          file && { base64: file.data.toString('base64'), content_type: file.contentType, name: file.filename };
        if (!files.image) throw new ApiError('bad_request', 'image: a multipart "image" part is required', { param: 'image' });
        const input = {
          image: asSource(files.image),
          ...(files.mask ? { mask: asSource(files.mask) } : {}),
          ...(fields.prompt ? { prompt: fields.prompt } : {}),
          ...(fields.model ? { model: fields.model } : {}),
          ...(fields.n ? { n: Number(fields.n) } : {}),
          ...(fields.size ? { size: fields.size } : {}),
          ...(fields.response_format ? { response_format: fields.response_format } : {}),
          ...(fields.async === 'true' ? { async: true } : {}),
          ...(fields.webhook_topic ? { webhook_topic: fields.webhook_topic } : {}),
        };
        const result = (await route.call(createCaller(ctx), input)) as { object?: string; data?: unknown };
        applyResponseHeaders(res, ctx);
        res.status(ctx.response.status ?? 200).json(result);
      } catch (error) {
        applyResponseHeaders(res, ctx);
        sendError(req, res, describeError(error));
      }
    });
  }
  return images;
}

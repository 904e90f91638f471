import express, { type Request, type Response, type Router } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { describeError } from '../router/errors.ts';
import { createCallerFactory } from '../router/trpc.ts';
import type { SpeechResultWire } from '../schema/api/audio.ts';
import { sendError } from './error-responses.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

const routes: { path: string; wantsBytes: (body: { response_format?: unknown }) => boolean; call: (caller: Caller, input: unknown) => Promise<unknown> }[] = [
  // OpenAI clients expect the audio itself.
  { path: '/v1/audio/speech', wantsBytes: () => true, call: (caller, input) => caller.v1.audio.speech.create(input as never) },
  // Native callers choose: JSON (served by the REST adapter) or bytes.
  {
    path: '/infra/ai/audio/speech',
    wantsBytes: (body) => body.response_format === 'binary',
    call: async (caller, input) => ((await caller.infra.ai.audio.speech.create(input as never)) as { data: unknown }).data,
  },
];

/**
 * Audio answered as bytes, from the same procedure that answers JSON: the body is the audio in
 * its content type. An `async: true` request still gets its 202 operation as JSON.
 */
export function createAudioRouter(services: Services): Router {
  const audio = express.Router();
  for (const route of routes) {
    audio.post(route.path, async (req: Request, res: Response, next) => {
      const body = (req.body ?? {}) as { response_format?: unknown };
      if (!route.wantsBytes(body)) return next();
      localsOf(res).log.route = route.path;
      const ctx = createRequestContext(services, req, res);
      try {
        const result = (await route.call(createCaller(ctx), req.body)) as SpeechResultWire | { object: 'ai.operation' };
        applyResponseHeaders(res, ctx);
        if (result.object === 'ai.operation') {
          res.status(202).json(route.path.startsWith('/infra') ? { status: 'ok', data: result } : result);
          return;
        }
        const bytes = Buffer.from(result.audio, 'base64');
        res.status(200).type(result.content_type).setHeader('Content-Length', String(bytes.length));
        res.end(bytes);
      } catch (error) {
        applyResponseHeaders(res, ctx);
        sendError(req, res, describeError(error));
      }
    });
  }
  return audio;
}

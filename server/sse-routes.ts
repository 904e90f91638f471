import express, { type Request, type Response, type Router } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { describeError } from '../router/errors.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { sendError } from './error-responses.ts';
import { localsOf } from './request-lifecycle.ts';

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

/** How a tree frames its events: the Responses API names each event; chat sends bare data and [DONE]. */
type Framing = 'named-events' | 'data-then-done';

interface StreamRoute {
  path: string;
  framing: Framing;
  open: (caller: Caller, input: unknown) => Promise<AsyncIterable<unknown>>;
}

const streamRoutes: StreamRoute[] = [
  { path: '/infra/ai/responses', framing: 'named-events', open: (caller, input) => caller.infra.ai.responses.stream(input as never) },
  { path: '/v1/responses', framing: 'named-events', open: (caller, input) => caller.v1.responses.stream(input as never) },
  { path: '/v1/chat/completions', framing: 'data-then-done', open: (caller, input) => caller.v1.chat.completions.stream(input as never) },
];

function isErrorFrame(event: unknown): boolean {
  return typeof event === 'object' && event !== null && ('error' in event || (event as { type?: unknown }).type === 'error');
}

function frame(event: unknown, framing: Framing): string {
  const data = JSON.stringify(event);
  if (framing === 'named-events') return `event: ${(event as { type: string }).type}\ndata: ${data}\n\n`;
  return `data: ${data}\n\n`;
}

/**
 * Serves `stream: true` requests as server-sent events, from the same subscription typed tRPC
 * clients use. Headers go out only once the first event exists, so failures to start (auth,
 * validation, an upstream 429) keep their status. Each event is written as it arrives; a comment
 * keeps quiet connections open; a client that leaves aborts the generation at once.
 */
export function createSseRouter(services: Services): Router {
  const sse = express.Router();

  for (const route of streamRoutes) {
    sse.post(route.path, async (req: Request, res: Response, next) => {
      const body = req.body as { stream?: unknown } | undefined;
      if (body?.stream !== true) return next();
      localsOf(res).log.route = route.path;

      const ctx = createRequestContext(services, req, res);
      let iterator: AsyncIterator<unknown>;
      let first: IteratorResult<unknown>;
      try {
        iterator = (await route.open(createCaller(ctx), body))[Symbol.asyncIterator]();
        first = await iterator.next();
      } catch (error) {
        if (ctx.signal.aborted) return;
        const failure = describeError(error);
        if (failure.status >= 500) services.logger.error({ err: error, request_id: ctx.requestId }, 'stream failed to start');
        applyResponseHeaders(res, ctx);
        sendError(req, res, failure);
        return;
      }

      res.status(200);
      applyResponseHeaders(res, ctx);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      req.socket.setNoDelay(true);

      let lastWrite = Date.now();
      const write = (text: string) => {
        lastWrite = Date.now();
        res.write(text);
      };
      const keepAlive = setInterval(() => {
        if (Date.now() - lastWrite >= services.config.sseKeepAliveMs) write(': keep-alive\n\n');
      }, Math.max(50, Math.floor(services.config.sseKeepAliveMs / 2)));
      ctx.signal.addEventListener('abort', () => void iterator.return?.(), { once: true });

      try {
        let current = first;
        let failed = false;
        while (!current.done && !ctx.signal.aborted) {
          write(frame(current.value, route.framing));
          failed = isErrorFrame(current.value);
          current = await iterator.next();
        }
        // OpenAI ends a failed chat stream with the error frame alone.
        if (!ctx.signal.aborted && !failed && route.framing === 'data-then-done') write('data: [DONE]\n\n');
      } catch (error) {
        // Procedures turn failures into error events; what lands here is the client leaving.
        if (!ctx.signal.aborted) services.logger.warn({ err: error, request_id: ctx.requestId }, 'stream ended unexpectedly');
      } finally {
        clearInterval(keepAlive);
        res.end();
      }
    });
  }
  return sse;
}

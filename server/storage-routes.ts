import express, { type Request, type Response, type Router } from 'express';
import { appRouter } from '../router/app-router.ts';
import type { Services } from '../router/context.ts';
import { describeError } from '../router/errors.ts';
import { createCallerFactory } from '../router/trpc.ts';
import { sendError } from './error-responses.ts';
import { applyResponseHeaders, createRequestContext } from './request-context.ts';
import { localsOf } from './request-lifecycle.ts';

const createCaller = createCallerFactory(appRouter);
const objectPath = '/infra/storage/buckets/:bucketId/objects/*key';

type ObjectWire = Awaited<ReturnType<ReturnType<typeof createCaller>['infra']['storage']['objects']['head']>>;

function refOf(req: Request) {
  const params = req.params as { bucketId: string; key: string[] };
  return { bucket_id: params.bucketId, key: params.key.join('/') };
}

function setObjectHeaders(res: Response, object: ObjectWire): void {
  res.setHeader('Content-Type', object.content_type);
  res.setHeader('Content-Length', String(object.size));
  res.setHeader('ETag', `"${object.sha256}"`);
  res.setHeader('Last-Modified', new Date(object.updated_at).toUTCString());
}

/**
 * Object bytes as raw HTTP bodies (PUT keeps the Content-Type it is sent with). These routes are
 * thin: each calls its storage procedure, so auth, scopes and key rules are the procedures'.
 */
export function createStorageRouter(services: Services): Router {
  const storage = express.Router();
  /** Runs the procedure call; the rate-limit headers it produced go out before any body. */
  const handle =
    (run: (caller: ReturnType<typeof createCaller>, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response) => {
      localsOf(res).log.route = objectPath.replace(':bucketId', '{bucket_id}').replace('*key', '{key}');
      const ctx = createRequestContext(services, req, res);
      const writeHead = res.writeHead.bind(res);
      res.writeHead = ((...args: Parameters<Response['writeHead']>) => {
        applyResponseHeaders(res, ctx);
        return writeHead(...args);
      }) as Response['writeHead'];
      try {
        await run(createCaller(ctx), req, res);
      } catch (error) {
        sendError(req, res, describeError(error));
      }
    };

  storage.put(
    objectPath,
    express.raw({ type: () => true, limit: services.config.storage.maxObjectBytes }),
    handle(async (caller, req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const object = await caller.infra.storage.objects.put({
        ...refOf(req),
        content_type: req.headers['content-type'] ?? 'application/octet-stream',
        body,
      });
      res.json({ status: 'ok', data: object });
    }),
  );
  storage.get(
    objectPath,
    handle(async (caller, req, res) => {
      const { object, bytes } = await caller.infra.storage.objects.get(refOf(req));
      setObjectHeaders(res, object);
      res.end(bytes);
    }),
  );
  storage.head(
    objectPath,
    handle(async (caller, req, res) => {
      setObjectHeaders(res, await caller.infra.storage.objects.head(refOf(req)));
      res.end();
    }),
  );
  storage.delete(
    objectPath,
    handle(async (caller, req, res) => {
      res.json({ status: 'ok', data: await caller.infra.storage.objects.delete(refOf(req)) });
    }),
  );
  return storage;
}

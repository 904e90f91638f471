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
  /**
   * `call` runs the procedure and returns how to write its answer; the rate-limit headers the
   * call produced are set first, so they precede any body.
   */
  const handle =
    (call: (caller: ReturnType<typeof createCaller>, req: Request) => Promise<(res: Response) => void>) =>
    async (req: Request, res: Response) => {
      localsOf(res).log.route = objectPath.replace(':bucketId', '{bucket_id}').replace('*key', '{key}');
      const ctx = createRequestContext(services, req, res);
      let write: (res: Response) => void;
      try {
        write = await call(createCaller(ctx), req);
      } catch (error) {
        applyResponseHeaders(res, ctx);
        sendError(req, res, describeError(error));
        return;
      }
      applyResponseHeaders(res, ctx);
      write(res);
    };

  storage.put(
    objectPath,
    express.raw({ type: () => true, limit: services.config.storage.maxObjectBytes }),
    handle(async (caller, req) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const object = await caller.infra.storage.objects.put({
        ...refOf(req),
        content_type: req.headers['content-type'] ?? 'application/octet-stream',
        body,
      });
      return (res) => res.json({ status: 'ok', data: object });
    }),
  );
  storage.get(
    objectPath,
    handle(async (caller, req) => {
      const { object, bytes } = await caller.infra.storage.objects.get(refOf(req));
      return (res) => {
        setObjectHeaders(res, object);
        res.end(bytes);
      };
    }),
  );
  storage.head(
    objectPath,
    handle(async (caller, req) => {
      const object = await caller.infra.storage.objects.head(refOf(req));
      return (res) => {
        setObjectHeaders(res, object);
        res.end();
      };
    }),
  );
  storage.delete(
    objectPath,
    handle(async (caller, req) => {
      const deleted = await caller.infra.storage.objects.delete(refOf(req));
      return (res) => res.json({ status: 'ok', data: deleted });
    }),
  );
  return storage;
}

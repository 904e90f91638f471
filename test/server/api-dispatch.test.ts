import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiDispatcher } from '../../server/api-dispatch.ts';

/** The API routes' lookup must run a request exactly as express's own router would. */
describe('the API route lookup', () => {
  let server: Server;
  let baseUrl: string;
  const answer = (name: string) => (req: Request, res: Response) => void res.json({ name, params: req.params });
  const pass = (req: Request, _res: Response, next: NextFunction) => next();
  const passUnlessAsked = (req: Request, res: Response, next: NextFunction) => (req.query.take ? res.json({ name: 'first' }) : next());

  beforeAll(async () => {
    const app = express();
    app.use(
      createApiDispatcher([
        { method: 'POST', path: '/v1/things', handlers: [passUnlessAsked] },
        { method: 'POST', path: '/v1/things', handlers: [pass, answer('second')] },
        { method: 'GET', path: '/v1/things/:thing_id', handlers: [answer('one thing')] },
        { method: 'GET', path: '/v1/things/:thing_id/parts', handlers: [answer('parts')] },
        { method: 'GET', path: '/v1/files/:bucket/*key', handlers: [answer('file')] },
        { method: 'GET', path: '/v1/broken', handlers: [() => Promise.reject(new Error('boom'))] },
        { method: 'GET', path: '/v1/refused', handlers: [(_req: Request, _res: Response, next: NextFunction) => next(Object.assign(new Error('no'), { status: 418 }))] },
      ]),
    );
    app.use((req, res) => void res.status(404).json({ fell_through: `${req.method} ${req.path}` }));
    app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => void res.status(error.status ?? 500).json({ error: error.message }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const call = async (method: string, path: string) => {
    const response = await fetch(`${baseUrl}${path}`, { method });
    return { status: response.status, body: method === 'HEAD' ? undefined : await response.json() };
  };

  it('offers a request to every route of its path in order until one answers', async () => {
    expect(await call('POST', '/v1/things?take=1')).toEqual({ status: 200, body: { name: 'first' } });
    expect(await call('POST', '/v1/things')).toEqual({ status: 200, body: { name: 'second', params: {} } });
  });

  it('matches paths as express does: any case, one trailing slash, HEAD served by GET routes', async () => {
    expect((await call('POST', '/V1/Things/')).body.name).toBe('second');
    expect((await call('GET', '/v1/things/abc/parts')).body).toEqual({ name: 'parts', params: { thing_id: 'abc' } });
    expect((await call('HEAD', '/v1/things/abc')).status).toBe(200);
  });

  it('decodes parameters, and a greedy parameter takes the rest of the path', async () => {
    expect((await call('GET', '/v1/things/a%20b')).body.params).toEqual({ thing_id: 'a b' });
    expect((await call('GET', '/v1/files/docs/2026/report%231.pdf')).body.params).toEqual({ bucket: 'docs', key: ['2026', 'report#1.pdf'] });
  });

  it('passes on what no route takes, and errors and rejections to the error handler', async () => {
    expect(await call('DELETE', '/v1/things')).toEqual({ status: 404, body: { fell_through: 'DELETE /v1/things' } });
    expect(await call('GET', '/v1/nothing/here')).toEqual({ status: 404, body: { fell_through: 'GET /v1/nothing/here' } });
    expect(await call('GET', '/v1/things/%E0%A4%A')).toEqual({ status: 400, body: { error: "Failed to decode param '%E0%A4%A'" } });
    expect(await call('GET', '/v1/broken')).toEqual({ status: 500, body: { error: 'boom' } });
    expect(await call('GET', '/v1/refused')).toEqual({ status: 418, body: { error: 'no' } });
  });
});

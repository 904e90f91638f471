import { sendJson, startFakeUpstream, type FakeUpstream } from './fake-upstream-server.ts';

/**
 * The three S3 object calls the store uses, path-style (`/<bucket>/<key>`), as S3 answers them:
 * PUT 200 with an ETag, GET the bytes or a NoSuchKey XML error, DELETE 204. Signatures are not checked.
 */
export async function startFakeS3(): Promise<FakeUpstream & { objects: Map<string, Buffer> }> {
  const objects = new Map<string, Buffer>();
  const fake = await startFakeUpstream((request, res) => {
    const path = decodeURIComponent(request.url.split('?')[0]!);
    if (request.method === 'PUT') {
      objects.set(path, request.raw);
      res.writeHead(200, { etag: '"fake"' }).end();
    } else if (request.method === 'GET') {
      const body = objects.get(path);
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
    } else if (request.method === 'DELETE') {
      objects.delete(path);
      res.writeHead(204).end();
    } else {
      sendJson(res, 405, {});
    }
  });
  return Object.assign(fake, { objects });
}

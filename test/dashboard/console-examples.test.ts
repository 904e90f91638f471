import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { exampleFor, exampleRoutes } from '../../dashboard/examples.js';

/** No provider serves these here: their examples must pass validation, and then meet the missing model. */
const unservedHere = /\/(audio\/(transcriptions|translations)|images\/|realtime\/|realtime\/client_secrets)/;

let server: TestServer;
let key: string;
let routes: { method: string; path: string }[];
const known: Record<string, string> = {};

async function call(method: string, path: string, init: { json?: unknown; raw?: string; contentType?: string } = {}) {
  const response = await fetch(server.baseUrl + path, {
    method,
    headers: { ...bearer(key), ...(init.json !== undefined ? { 'content-type': 'application/json' } : init.raw !== undefined ? { 'content-type': init.contentType ?? 'text/plain' } : {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.raw !== undefined ? { body: init.raw } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  server = await startTestServer({ RUN_WORKERS: 'false' });
  key = (await server.createKey()).secret;
  const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })));
  // What the console reads from the project when it opens.
  known.bucketId = (await call('POST', '/infra/storage/buckets', { json: { name: 'examples' } })).json.data.id;
  await call('PUT', `/infra/storage/buckets/${known.bucketId}/objects/notes/first.txt`, { raw: 'first' });
  known.objectKey = 'notes/first.txt';
  known.operationId = (await call('POST', '/infra/ai/responses', { json: { input: 'Once', async: true } })).json.data.id;
  // In the background (no workers here: it stays queued), so that cancelling it is valid too.
  known.responseId = (await call('POST', '/v1/responses', { json: { input: 'Once', max_output_tokens: 4, background: true } })).json.id;
  known.endpointId = (await call('POST', '/infra/webhooks/endpoints', { json: { url: 'https://example.com/hook', topics: ['t'] } })).json.data.id;
});
afterAll(() => server.close());

describe('API Console examples', () => {
  it('has an example for every documented route', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((route) => `${route.method} ${route.path}`).filter((id) => !exampleRoutes.includes(id))).toEqual([]);
  });

  it('sends each example as the console would and the server accepts it (deletions last)', async () => {
    const ordered = [...routes].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of ordered) {
      const example = exampleFor(route.method, route.path, known);
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => example.path[name].split('/').map(encodeURIComponent).join('/'));
      const query = example.query ? `?${new URLSearchParams(example.query)}` : '';
      const answer = await call(route.method, path + query, example.raw !== undefined ? { raw: example.raw, contentType: example.contentType } : { json: example.body });
      const label = `${route.method} ${route.path} → ${answer.status} ${answer.text.slice(0, 300)}`;
      if (unservedHere.test(route.path)) {
        // Everything else passed validation: the answer is about the model no provider serves here.
        expect(answer.status, label).toBeGreaterThanOrEqual(400);
        if (answer.status === 400) expect(answer.json.error.param ?? answer.json.error.details?.param, label).toBe('model');
      } else {
        expect(answer.status, label).toBeLessThan(300);
      }
    }
  }, 120_000);
});

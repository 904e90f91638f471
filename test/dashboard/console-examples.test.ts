import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { documentedRoutes, exampleRequest, fillPath } from '../../dashboard/examples.js';

/** No provider serves these here: their examples must pass validation, and then meet the missing model. */
const unservedHere = /\/(audio\/(transcriptions|translations)|images\/|realtime\/|realtime\/client_secrets)/;

let server: TestServer;
let key: string;
let document: any;
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
  document = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
  // What the console reads from the project when it opens, by the path parameter naming it.
  known.bucket_id = (await call('POST', '/infra/storage/buckets', { json: { name: 'examples' } })).json.data.id;
  await call('PUT', `/infra/storage/buckets/${known.bucket_id}/objects/notes/first.txt`, { raw: 'first' });
  known.key = 'notes/first.txt';
  known.operation_id = (await call('POST', '/infra/ai/responses', { json: { input: 'Once', async: true } })).json.data.id;
  // In the background (no workers here: it stays queued), so that cancelling it is valid too.
  known.response_id = (await call('POST', '/v1/responses', { json: { input: 'Once', max_output_tokens: 4, background: true } })).json.id;
  known.endpoint_id = (await call('POST', '/infra/webhooks/endpoints', { json: { url: 'https://example.com/hook', topics: ['t'] } })).json.data.id;
});
afterAll(() => server.close());

describe('API Console examples, read from /openapi.json', () => {
  it('are carried by the document for every route that takes a body or a query, from its input schema', () => {
    const routes = documentedRoutes(document);
    expect(routes.length).toBeGreaterThan(40);
    const withoutExample = routes.filter(({ operation }) => {
      const body = operation.requestBody?.content;
      const query = (operation.parameters ?? []).filter((parameter: { in: string }) => parameter.in === 'query');
      const documented = body ? Object.values(body).some((media: any) => media.example !== undefined) : query.length === 0 || query.some((parameter: { example?: unknown }) => parameter.example !== undefined);
      return !documented;
    });
    expect(withoutExample.map((route) => route.id)).toEqual([]);
  });

  it('are each accepted by the server as the console sends them (deletions last)', async () => {
    const routes = documentedRoutes(document).sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of routes) {
      const example = exampleRequest(document, route, known) as { path: Record<string, string>; query: Record<string, string>; body?: unknown; raw?: string; contentType?: string };
      const query = Object.keys(example.query).length ? `?${new URLSearchParams(example.query)}` : '';
      const answer = await call(route.method, fillPath(route.path, example.path) + query, example.raw !== undefined ? { raw: example.raw, contentType: example.contentType } : { json: example.body });
      const label = `${route.id} → ${answer.status} ${answer.text.slice(0, 300)}`;
      if (unservedHere.test(route.path)) {
        // Everything else passed validation: the answer is about the model no provider serves here.
        expect(answer.status, label).toBeGreaterThanOrEqual(400);
        if (answer.status === 400) expect(answer.json.error.param ?? answer.json.error.details?.param, label).toBe('model');
      } else {
        expect(answer.status, label).toBeLessThan(300);
      }
    }
  }, 120_000);

  it('are built from the schema for a route whose input carries none', () => {
    const route = {
      id: 'POST /infra/ai/tokenize',
      method: 'POST',
      path: '/infra/ai/tokenize',
      tag: 'Text',
      operation: {
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { model: { type: 'string' }, input: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }] }, limit: { type: 'integer', minimum: 1 } },
                required: ['input', 'limit'],
              },
            },
          },
        },
      },
    };
    expect(exampleRequest(document, route)).toEqual({ path: {}, query: {}, body: { input: 'example', limit: 1 } });
  });
});

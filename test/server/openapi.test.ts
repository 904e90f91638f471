import { validate } from '@readme/openapi-parser';
import type { AnyProcedure } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../server/app-router.ts';
import type { ProcedureMeta } from '../../router/trpc.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let document: any;

beforeAll(async () => {
  server = await startTestServer();
  document = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
});
afterAll(() => server.close());

const procedureRoutes = Object.values(appRouter._def.procedures as unknown as Record<string, AnyProcedure>)
  .map((procedure) => (procedure._def.meta as ProcedureMeta | undefined)?.openapi)
  .filter((openapi) => openapi !== undefined);

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(document.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every procedure route, on both trees', () => {
    expect(procedureRoutes.length).toBeGreaterThan(0);
    for (const route of procedureRoutes) {
      expect(document.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
    const paths = Object.keys(document.paths);
    expect(paths.filter((path) => path.startsWith('/infra/ai/')).length).toBeGreaterThan(0);
    expect(paths.filter((path) => path.startsWith('/v1/')).length).toBeGreaterThan(0);
  });

  it('names the bearer scheme and each route scope', () => {
    expect(document.components.securitySchemes.ApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const list = document.paths['/infra/ai/models'].get;
    expect(list.security).toEqual([{ ApiKey: ['ai:read'] }]);
    expect(list['x-required-scope']).toBe('ai:read');
  });

  it("lists the reference's error responses in each tree's envelope", () => {
    const native = document.paths['/infra/ai/models/{model_id}'].get.responses;
    expect(Object.keys(native).sort()).toEqual(['200', '401', '403', '404', '429']);
    expect(native['404'].content['application/json'].schema.$ref).toBe('#/components/schemas/NativeError');
    expect(native['429'].headers['Retry-After']).toBeDefined();
    const compat = document.paths['/v1/models'].get.responses;
    expect(Object.keys(compat).sort()).toEqual(['200', '401', '403', '429']);
    expect(compat['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/OpenAIError');
  });


  it('documents the routes express serves raw (object bytes) and the operation routes', () => {
    expect(Object.keys(document.paths['/infra/storage/buckets/{bucket_id}/objects/{key}']).sort()).toEqual(['delete', 'get', 'head', 'put']);
    expect(document.paths['/infra/storage/buckets/{bucket_id}/objects/{key}'].put.security).toEqual([{ ApiKey: ['ai:generate'] }]);
    expect(document.paths['/infra/ai/operations/{operation_id}'].get.security).toEqual([{ ApiKey: ['ai:read'] }]);
    expect(Object.keys(document.paths['/infra/ai/operations/{operation_id}/cancel'].post.responses)).toContain('409');
  });

  it('documents the 202 operation of async routes as its own response, not inside the 200', () => {
    const parse = document.paths['/infra/ai/documents/parse'].post.responses;
    expect(parse['202'].content['application/json'].schema.properties.data.$ref).toBe('#/components/schemas/Operation');
    expect(JSON.stringify(parse['200'])).not.toContain('#/components/schemas/Operation');
    const chat = document.paths['/v1/chat/completions'].post.responses;
    expect(chat['202'].content['application/json'].schema.$ref).toBe('#/components/schemas/Operation');
    expect(document.paths['/infra/ai/embeddings'].post.responses['202']).toBeUndefined();
  });

  it('lists 413 and 415 on JSON bodies, and upstream failures where a model runs', () => {
    const embeddings = Object.keys(document.paths['/v1/embeddings'].post.responses);
    expect(embeddings).toEqual(expect.arrayContaining(['413', '415', '502', '503', '504']));
    expect(Object.keys(document.paths['/infra/ai/documents/chunk'].post.responses)).not.toContain('502');
    expect(Object.keys(document.paths['/infra/storage/buckets/{bucket_id}/objects/{key}'].put.responses)).not.toContain('415');
  });

  it('derives multipart bodies and byte answers from the declarations', () => {
    const upload = document.paths['/v1/audio/transcriptions'].post.requestBody.content['multipart/form-data'].schema;
    expect(upload.properties.file).toEqual({ type: 'string', format: 'binary' });
    expect(upload.required).toContain('file');
    // What the file part replaces is not asked for twice; every other JSON field is a form field.
    expect(upload.properties.base64).toBeUndefined();
    expect(Object.keys(upload.properties)).toEqual(expect.arrayContaining(['model', 'language', 'response_format', 'result_destination', 'async']));
    expect(Object.keys(document.paths['/v1/audio/transcriptions'].post.responses['200'].content)).toEqual(['application/json', 'text/event-stream', 'text/plain']);
    const edits = document.paths['/infra/ai/images/edits'].post.requestBody.content['multipart/form-data'].schema;
    expect(edits.properties.mask).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(document.paths['/v1/audio/speech'].post.responses['200'].content)).not.toContain('application/json');
    expect(Object.keys(document.paths['/infra/ai/audio/speech'].post.responses['200'].content)).toContain('application/json');
    expect(Object.keys(document.paths['/infra/ai/audio/speech'].post.responses['200'].content)).toContain('audio/mpeg');
  });

  it('documents the server-sent event answer of streaming routes', () => {
    for (const path of ['/infra/ai/responses', '/v1/responses', '/v1/chat/completions']) {
      expect(Object.keys(document.paths[path].post.responses['200'].content), path).toEqual(['application/json', 'text/event-stream']);
      expect(document.paths[path].post.security).toEqual([{ ApiKey: ['ai:generate'] }]);
    }
  });

  it("carries each input schema's example on its parameters and its body, once", () => {
    const parameter = (path: string, method: string, name: string) => document.paths[path][method].parameters.find((candidate: { name: string }) => candidate.name === name);
    expect(parameter('/infra/ai/models/{model_id}', 'get', 'model_id').example).toBe('local:stories260K');
    expect(parameter('/infra/ai/operations', 'get', 'status').example).toBe('queued');
    const embeddings = document.paths['/infra/ai/embeddings'].post.requestBody.content['application/json'];
    expect(embeddings.example).toEqual({ input: ['A cat sat on the mat.', 'A kitten rests on a rug.'] });
    expect(embeddings.schema.examples).toBeUndefined();
    const put = document.paths['/infra/storage/buckets/{bucket_id}/objects/{key}'].put;
    expect(put.requestBody.content['*/*'].example).toBe('Hello, stored.\n');
    expect(put.parameters.find((candidate: { name: string }) => candidate.name === 'key').example).toBe('notes/hello.txt');
  });
});

describe('/docs', () => {
  it('serves an interactive reference page and its assets without network access', async () => {
    const page = await fetch(`${server.baseUrl}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    const bundle = await fetch(`${server.baseUrl}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect(await (await fetch(`${server.baseUrl}/docs/init.js`)).text()).toContain("url: '/openapi.json'");
    // Every icon the page names is served (a browser asks for one).
    const icons = [...html.matchAll(/<link rel="icon"[^>]* href="([^"]+)"/g)].map((match) => match[1]!);
    expect(icons.length).toBeGreaterThan(0);
    for (const icon of icons) expect((await fetch(server.baseUrl + icon)).status, icon).toBe(200);
  });
});

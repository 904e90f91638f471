import { describe, expect, it } from 'vitest';
import { answeredAsExpected, derivedCases } from '../../bench/soak-cases.ts';
import { documentedRoutes } from '../../dashboard/examples.js';
import { createOpenApiDocument } from '../../server/openapi-document.ts';

/** The soak's requests come from /openapi.json: every route gets its example and the invalid variants its schema implies. */
const document = JSON.parse(JSON.stringify(createOpenApiDocument('http://127.0.0.1')));
const cases = derivedCases(document, { bucket_id: 'sb_soak' }, (model) => (model === 'local:stories260K' ? 'fake:echo' : undefined));
const named = (name: string) => cases.find((entry) => entry.name === name);

describe('the soak cases derived from /openapi.json', () => {
  it('send every documented route its example', () => {
    const routes = documentedRoutes(document);
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) expect(named(`${route.id} example`), route.id).toBeDefined();
  });

  it('expect a 400 naming the field for a body without its first required field, a field of another type, a query value that is not one', () => {
    expect(named('POST /v1/chat/completions without messages')).toMatchObject({ expect: [400], naming: 'messages', body: JSON.stringify({ model: 'local:stories260K', max_tokens: 16 }) });
    expect(JSON.parse(named('POST /infra/ai/embeddings with model as a number')!.body as string).model).toBe(12345);
    expect(named('GET /infra/ai/models with capability not valid')).toMatchObject({ path: '/infra/ai/models?capability=not-valid', expect: [400], naming: 'capability' });
  });

  it('stream, queue and upload as multipart where the route documents it, and fill the ids the soak made', () => {
    expect(JSON.parse(named('POST /v1/responses streamed')!.body as string).stream).toBe(true);
    expect(named('POST /v1/chat/completions in the background on fake:echo')).toMatchObject({ expect: [202], orNaming: 'model' });
    expect(named('POST /v1/chat/completions in the background')).toBeUndefined();
    const form = (named('POST /infra/ai/documents/parse as multipart')!.body as () => FormData)();
    expect((form.get('file') as File).name).toBe('soak.txt');
    expect(named('PUT /infra/storage/buckets/{bucket_id}/objects/{key} example')).toMatchObject({ path: '/infra/storage/buckets/sb_soak/objects/notes%2Fhello.txt', headers: { 'content-type': 'text/plain' } });
    expect(named('GET /infra/ai/operations/{operation_id} example')!.expect).toContain(404);
  });

  it("send the examples that name a model also to another provider's model for the same work", () => {
    expect(JSON.parse(named('POST /v1/chat/completions example on fake:echo')!.body as string).model).toBe('fake:echo');
    expect(JSON.parse(named('POST /infra/ai/responses streamed on fake:echo')!.body as string)).toMatchObject({ model: 'fake:echo', stream: true });
    expect(named('POST /v1/audio/speech example on fake:echo')).toBeUndefined();
  });

  it('take a 4xx only when it names the field the case is about', () => {
    const withoutQuery = named('POST /infra/ai/rerank without query')!;
    expect(answeredAsExpected(withoutQuery, 400, JSON.stringify({ status: 'error', error: { details: { issues: [{ field: 'query' }] } } }))).toBe(true);
    expect(answeredAsExpected(withoutQuery, 400, JSON.stringify({ error: { param: 'documents' } }))).toBe(false);
    const example = named('POST /v1/images/generations example')!;
    expect(answeredAsExpected(example, 200, '{}')).toBe(true);
    expect(answeredAsExpected(example, 400, JSON.stringify({ error: { param: 'model' } }))).toBe(true);
    expect(answeredAsExpected(example, 400, JSON.stringify({ error: { param: 'prompt' } }))).toBe(false);
    expect(answeredAsExpected(example, 503, JSON.stringify({ error: { param: 'model' } }))).toBe(false);
  });
});

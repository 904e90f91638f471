import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** No workers here: accepted operations stay queued, so the list is exactly what was submitted. */
let server: TestServer;
let key: string;
let stranger: string;
/** Ids in submission order. */
const responses: string[] = [];
const speech: string[] = [];
let cancelled: string;

async function call(path: string, init: { method?: string; body?: object; secret?: string } = {}) {
  const response = await fetch(server.baseUrl + path, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { ...bearer(init.secret ?? key), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  server = await startTestServer({ RUN_WORKERS: 'false' });
  key = (await server.createKey()).secret;
  stranger = (await server.createKey()).secret;
  for (let index = 0; index < 5; index++) {
    const accepted = await call('/infra/ai/responses', { body: { input: `story ${index}`, max_output_tokens: 4, async: true } });
    expect(accepted.status).toBe(202);
    responses.push(accepted.body.data.id);
  }
  for (let index = 0; index < 2; index++) {
    const accepted = await call('/infra/ai/audio/speech', { body: { input: `hello ${index}`, async: true } });
    expect(accepted.status).toBe(202);
    speech.push(accepted.body.data.id);
  }
  cancelled = responses[1]!;
  expect((await call(`/infra/ai/operations/${cancelled}/cancel`, { body: {} })).status).toBe(200);
  await call('/infra/ai/responses', { body: { input: 'not mine', async: true }, secret: stranger });
});
afterAll(() => server.close());

describe('GET /infra/ai/operations', () => {
  it('lists the project operations newest first, and pages through them with after until has_more is false', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await call(`/infra/ai/operations?limit=3${after ? `&after=${after}` : ''}`);
      expect(answer.status).toBe(200);
      const list = answer.body.data;
      expect(list.object).toBe('list');
      expect(list.data.length).toBeLessThanOrEqual(3);
      expect(list.first_id).toBe(list.data[0]?.id ?? null);
      expect(list.last_id).toBe(list.data.at(-1)?.id ?? null);
      seen.push(...list.data.map((operation: { id: string }) => operation.id));
      if (!list.has_more) break;
      after = list.last_id;
    }
    expect(seen).toEqual([...responses, ...speech].reverse());
  });

  it('filters by status and by kind, and pages within the filter', async () => {
    const queued = await call('/infra/ai/operations?status=queued');
    expect(queued.body.data.data.map((operation: { id: string }) => operation.id)).toEqual([...responses, ...speech].filter((id) => id !== cancelled).reverse());
    const onlyCancelled = await call('/infra/ai/operations?status=cancelled');
    expect(onlyCancelled.body.data.data).toMatchObject([{ id: cancelled, status: 'cancelled', kind: 'responses' }]);

    const firstSpeech = await call('/infra/ai/operations?kind=audio.speech&limit=1');
    expect(firstSpeech.body.data).toMatchObject({ data: [{ id: speech[1], kind: 'audio.speech' }], has_more: true });
    const secondSpeech = await call(`/infra/ai/operations?kind=audio.speech&limit=1&after=${speech[1]}`);
    expect(secondSpeech.body.data).toMatchObject({ data: [{ id: speech[0] }], has_more: false });
  });

  it("shows each project only its own operations, and refuses another project's cursor", async () => {
    const theirs = await call('/infra/ai/operations', { secret: stranger });
    expect(theirs.body.data.data).toHaveLength(1);
    expect(theirs.body.data.data[0].id).not.toBeOneOf([...responses, ...speech]);
    const foreignCursor = await call(`/infra/ai/operations?after=${responses[0]}`, { secret: stranger });
    expect(foreignCursor.status).toBe(400);
    expect(foreignCursor.body.error.message).toMatch(/^after: /);
  });

  it('answers 400 naming the field for a bad status or limit', async () => {
    const badStatus = await call('/infra/ai/operations?status=done');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.details.issues[0].field).toBe('status');
    const badLimit = await call('/infra/ai/operations?limit=1000');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.details.issues[0].field).toBe('limit');
  });

  it('is documented in /openapi.json with its filters and needs ai:read', async () => {
    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as any;
    const route = document.paths['/infra/ai/operations'].get;
    expect(route['x-required-scope']).toBe('ai:read');
    expect(route.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['status', 'kind', 'after', 'limit']);
    const generateOnly = (await server.createKey(['ai:generate'])).secret;
    expect((await call('/infra/ai/operations', { secret: generateOnly })).status).toBe(403);
  });
});

describe('GET /infra/ai/usage', () => {
  it("names the calling key's scopes and rate limits", async () => {
    const readOnly = await server.createKey(['ai:read']);
    const answer = await call('/infra/ai/usage', { secret: readOnly.secret });
    expect(answer.body.data.key).toEqual({
      id: readOnly.keyId,
      scopes: ['ai:read'],
      rate_limits: { requests_per_minute: 600, tokens_per_minute: 2_000_000 },
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bm25Scores } from '../../providers/local/bm25-rerank.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { sendJson, startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { fakeAccountId } from '../fakes/fake-workers-ai.ts';

let workersFake: FakeUpstream;
let compatFake: FakeUpstream;
let server: TestServer;
let key: string;

beforeAll(async () => {
  // bge-reranker-base: `{query, contexts, top_k}` → `result.response: [{id, score}]`.
  workersFake = await startFakeUpstream((request, res) => {
    const contexts: { text: string }[] = request.body.contexts;
    const response = contexts.map((context, id) => ({ id, score: context.text.includes(request.body.query) ? 0.9 : 0.1 }));
    sendJson(res, 200, { result: { response: response.sort((a, b) => b.score - a.score).slice(0, request.body.top_k) }, success: true, errors: [], messages: [] });
  });
  // A Cohere-style /rerank beside the OpenAI routes (vLLM and gateways expose one).
  compatFake = await startFakeUpstream((request, res) => {
    const documents: string[] = request.body.documents;
    sendJson(res, 200, { results: documents.map((text, index) => ({ index, relevance_score: text.length / 100 })), usage: { total_tokens: 42 } });
  });
  server = await startTestServer({
    WORKERS_AI_ACCOUNT_ID: fakeAccountId,
    WORKERS_AI_API_TOKEN: 'cf-token',
    WORKERS_AI_BASE_URL: `${workersFake.baseUrl}/client/v4`,
    WORKERS_AI_MODELS: 'bge-reranker-base',
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'vllm', base_url: `${compatFake.baseUrl}/v1`, models: [{ id: 'bge-reranker-v2', capabilities: ['rerank'] }] }]),
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await workersFake.close();
  await compatFake.close();
});

async function rerank(body: object) {
  const response = await fetch(`${server.baseUrl}/infra/ai/rerank`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('local rerank (BM25 + embedding cosine, offline)', () => {
  it.each([
    {
      query: 'How do I reset my password?',
      documents: ['Our office is closed on public holidays.', 'To reset your password, open Settings and choose Security.', 'The cafeteria serves lunch at noon.'],
      best: 1,
    },
    {
      query: 'symptoms of dehydration',
      documents: ['Thirst, dark urine and dizziness are signs your body lacks water.', 'The stock market closed higher today.', 'Rust is a systems programming language.'],
      best: 0,
    },
    {
      query: 'train schedule from Paris to Lyon',
      documents: ['A recipe for lemon tart.', 'Football results from the weekend.', 'Departures: Paris Gare de Lyon to Lyon Part-Dieu every hour by TGV.'],
      best: 2,
    },
  ])('puts the right document first for "$query"', async ({ query, documents, best }) => {
    const { status, body } = await rerank({ query, documents });
    expect(status).toBe(200);
    expect(body.data.model).toBe('local:bm25-semantic-rerank');
    expect(body.data.results[0].index).toBe(best);
    expect(body.data.results[0].document.text).toBe(documents[best]);
    const scores = body.data.results.map((result: { relevance_score: number }) => result.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body.data.scoring).toMatch(/BM25.*cosine/);
  });

  it('honours top_n and return_documents', async () => {
    const { body } = await rerank({ query: 'cats', documents: ['cats purr', 'dogs bark', { text: 'cats and kittens' }], top_n: 2, return_documents: false });
    expect(body.data.results).toHaveLength(2);
    expect(body.data.results[0].document).toBeUndefined();
  });

  it('scores shared rare words higher with BM25', () => {
    const [withTerm, without] = bm25Scores('quantum entanglement', ['notes on quantum entanglement experiments', 'notes on cooking pasta']);
    expect(withTerm).toBeGreaterThan(0);
    expect(without).toBe(0);
  });
});

describe('upstream rerank', () => {
  it('maps Workers AI bge-reranker-base', async () => {
    const { body } = await rerank({ model: 'workers-ai:bge-reranker-base', query: 'apple', documents: ['banana bread', 'apple pie', 'cherry jam'], top_n: 2 });
    expect(body.data.results.map((result: { index: number }) => result.index)).toEqual([1, expect.any(Number)]);
    expect(workersFake.requests.at(-1)!.body).toEqual({ query: 'apple', contexts: [{ text: 'banana bread' }, { text: 'apple pie' }, { text: 'cherry jam' }], top_k: 2 });
  });

  it('maps a Cohere-style /rerank of an OpenAI-compatible upstream', async () => {
    const { body } = await rerank({ model: 'vllm:bge-reranker-v2', query: 'q', documents: ['short', 'a much longer document'] });
    expect(body.data.results.map((result: { index: number }) => result.index)).toEqual([1, 0]);
    expect(body.data.usage.total_tokens).toBe(42);
  });
});

describe('bad input', () => {
  it.each([
    [{ query: '', documents: ['a'] }, 'query'],
    [{ query: 'q', documents: [] }, 'documents'],
    [{ query: 'q', documents: Array.from({ length: 101 }, () => 'd') }, 'documents'],
    [{ query: 'q', documents: ['a'], top_n: 0 }, 'top_n'],
    [{ query: 'q', documents: ['a'], top_n: 101 }, 'top_n'],
    [{ query: 'q', documents: ['a'], model: 'local:universal-sentence-encoder-lite' }, 'model'],
  ])('%j answers 400 naming %s', async (body, field) => {
    const { status, body: answer } = await rerank(body);
    expect(status).toBe(400);
    expect(answer.error.message).toMatch(new RegExp(`^${field}: `));
  });
});

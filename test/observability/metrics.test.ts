import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { upstreamEnvironment } from '../helpers/upstream-environment.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { parseMetrics, sumOf, type Sample } from '../helpers/prometheus.ts';

const metricsToken = 'metrics-token-for-tests-0123456789';
let fake: FakeOpenAi;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    ...upstreamEnvironment({ openAi: { fake, models: 'gpt-4o-mini,broken' } }),
    METRICS_TOKEN: metricsToken,
    RATE_LIMIT_REQUESTS_PER_MINUTE: '30',
    LOCAL_LLAMA_THREADS: '1',
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${server.baseUrl}/metrics`, { headers: bearer(metricsToken) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

function post(path: string, body: object, secret = key) {
  return fetch(server.baseUrl + path, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('GET /metrics', () => {
  it('needs the metrics token when one is configured, and never an API key', async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    const withApiKey = await fetch(`${server.baseUrl}/metrics`, { headers: bearer(key) });
    expect(withApiKey.status).toBe(401);
    expect((await withApiKey.json()).error.message).toContain('METRICS_TOKEN');
  });

  it('counts requests by route template, tree and status, model calls, tokens, spend, refusals, operations and pools', async () => {
    const before = await scrape();

    // Two lookups of different models share one route template.
    for (const model of ['openai:gpt-4o-mini', 'local:stories260K']) {
      expect((await fetch(`${server.baseUrl}/infra/ai/models/${encodeURIComponent(model)}`, { headers: bearer(key) })).status).toBe(200);
    }
    expect((await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(key) })).status).toBe(200);
    expect((await post('/v1/chat/completions', { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    expect((await post('/v1/chat/completions', { model: 'openai:broken', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(502);
    expect((await post('/infra/ai/responses', { model: 'local:stories260K', input: 'Once upon a time', max_output_tokens: 5 })).status).toBe(200);
    expect((await post('/infra/ai/embeddings', { input: ['metrics'] })).status).toBe(200);

    const accepted = await post('/infra/ai/responses', { model: 'openai:gpt-4o-mini', input: 'later', async: true });
    expect(accepted.status).toBe(202);
    await waitForOperation(server.baseUrl, key, (await accepted.json()).data.id, ['succeeded']);

    // A key with a small budget: 30 requests a minute, so the 31st is refused.
    const limited = (await server.createKey()).secret;
    const statuses: number[] = [];
    for (let index = 0; index < 31; index++) statuses.push((await fetch(`${server.baseUrl}/v1/models`, { headers: bearer(limited) })).status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sumOf(after, name, labels) - sumOf(before, name, labels);

    expect(moved('ai_http_requests_total', { tree: 'infra', route: '/infra/ai/models/{model_id}', method: 'GET', status: '200' })).toBe(2);
    expect(after.some((sample) => sample.labels.route?.includes('stories260K'))).toBe(false);
    expect(moved('ai_http_requests_total', { tree: 'v1', route: '/v1/chat/completions', status: '200' })).toBe(1);
    expect(moved('ai_http_requests_total', { tree: 'v1', route: '/v1/chat/completions', status: '502' })).toBe(1);
    expect(moved('ai_http_requests_total', { tree: 'v1', route: '/v1/models', status: '429' })).toBe(1);
    expect(moved('ai_http_request_duration_seconds_count', { tree: 'infra', route: '/infra/ai/responses' })).toBe(2);

    expect(moved('ai_model_call_duration_seconds_count', { provider: 'openai', model: 'openai:gpt-4o-mini', operation: 'generate' })).toBe(2);
    expect(moved('ai_model_call_errors_total', { provider: 'openai', model: 'openai:broken', reason: 'bad_gateway' })).toBe(1);
    expect(moved('ai_model_call_duration_seconds_count', { provider: 'local', model: 'local:stories260K' })).toBe(1);
    expect(moved('ai_model_call_duration_seconds_count', { provider: 'local', model: 'local:universal-sentence-encoder-lite', operation: 'embed' })).toBe(1);

    // The fake reports 7 tokens in and 3 out for each of the two gpt-4o-mini answers.
    expect(moved('ai_model_tokens_total', { model: 'openai:gpt-4o-mini', direction: 'input' })).toBe(14);
    expect(moved('ai_model_tokens_total', { model: 'openai:gpt-4o-mini', direction: 'output' })).toBe(6);
    expect(moved('ai_model_tokens_total', { model: 'local:stories260K', direction: 'output' })).toBe(5);
    expect(moved('ai_ledger_spend_tokens_total')).toBeGreaterThan(0);
    expect(moved('ai_rate_limit_refusals_total', { kind: 'requests' })).toBe(1);
    expect(moved('ai_operations_finished_total', { kind: 'responses', status: 'succeeded' })).toBe(1);

    expect(sumOf(after, 'ai_operation_jobs', { queue: 'ai-operations', state: 'created' })).toBe(0);
    expect(after.some((sample) => sample.name === 'ai_operation_oldest_job_age_seconds')).toBe(true);
    expect(sumOf(after, 'ai_local_pool_slots', { pool: 'llama:stories260K' })).toBe(2);
    expect(sumOf(after, 'ai_local_pool_slots', { pool: 'compute' })).toBeGreaterThan(0);
    expect(sumOf(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startFakeOtlpCollector, type FakeOtlpCollector, type ReceivedSpan } from '../fakes/fake-otlp-collector.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { upstreamEnvironment } from '../helpers/upstream-environment.ts';

const serverKind = 2;
const clientKind = 3;
const errorStatus = 2;
const prompt = 'a prompt that must never reach a trace';

let collector: FakeOtlpCollector;
let fake: FakeOpenAi;
let server: TestServer | undefined;

beforeAll(async () => {
  collector = await startFakeOtlpCollector();
  fake = await startFakeOpenAi();
  server = await startTestServer({
    ...upstreamEnvironment({ openAi: { fake, models: 'gpt-4o-mini,broken' } }),
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl,
    OTEL_SERVICE_NAME: 'ai-primitives-test',
    LOCAL_LLAMA_THREADS: '1',
  });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await collector?.close();
});

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  it('sends a server span per request with child spans for the upstream call, local inference and database queries', async () => {
    const running = server!;
    const key = (await running.createKey()).secret;
    const post = (path: string, body: object) =>
      fetch(running.baseUrl + path, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await post('/v1/chat/completions', { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: prompt }] })).status).toBe(200);
    expect((await post('/v1/chat/completions', { model: 'openai:broken', messages: [{ role: 'user', content: prompt }] })).status).toBe(502);
    expect((await post('/infra/ai/responses', { model: 'local:stories260K', input: prompt, max_output_tokens: 3 })).status).toBe(200);
    expect((await post('/infra/ai/embeddings', { input: [prompt] })).status).toBe(200);
    // Closing flushes the batch of spans still buffered.
    await running.close();
    server = undefined;

    const spans = collector.spans();
    const requestSpan = (name: string, status: number) =>
      spans.find((span) => span.kind === serverKind && span.name === name && span.attributes['http.response.status_code'] === status);
    const childrenOf = (parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

    const chat = requestSpan('POST /v1/chat/completions', 200);
    expect(chat, JSON.stringify(spans.map((span) => span.name))).toBeDefined();
    expect(chat!.attributes['http.route']).toBe('/v1/chat/completions');
    const upstream = childrenOf(chat!).find((span) => span.name === 'upstream generate');
    expect(upstream).toMatchObject({ kind: clientKind, attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'openai:gpt-4o-mini' } });
    // The charge is reserved in the ledger while the request runs.
    const queries = childrenOf(chat!).filter((span) => span.name === 'db.query');
    expect(queries.length).toBeGreaterThan(0);
    expect(queries[0]!.attributes['db.system.name']).toBe('postgresql');

    const failed = requestSpan('POST /v1/chat/completions', 502);
    expect(failed!.statusCode).toBe(errorStatus);
    expect(childrenOf(failed!).find((span) => span.name === 'upstream generate')).toMatchObject({ statusCode: errorStatus, attributes: { 'error.type': 'bad_gateway' } });

    const local = requestSpan('POST /infra/ai/responses', 200);
    expect(childrenOf(local!).find((span) => span.name === 'local generate')?.attributes['gen_ai.request.model']).toBe('local:stories260K');
    const embeddings = requestSpan('POST /infra/ai/embeddings', 200);
    expect(childrenOf(embeddings!).map((span) => span.name)).toContain('local embed');

    // Spans carry routes, models and parameterised SQL: never what the caller sent.
    for (const span of spans) for (const value of Object.values(span.attributes)) expect(String(value)).not.toContain('never reach');
  }, 60_000);
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('imports none of the OpenTelemetry SDK (only the API facade that pg-boss and prom-client reference)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/tracing-imports.ts'], { cwd: repoRoot });
    const { whenOff, whenOn } = JSON.parse(stdout) as { whenOff: string[]; whenOn: string[] };
    expect(whenOff.filter((name) => name !== '@opentelemetry/api')).toEqual([]);
    // The same check sees the SDK once tracing is on.
    expect(whenOn).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']));
  }, 60_000);
});

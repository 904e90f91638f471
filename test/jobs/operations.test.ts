import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { getOperation, waitForOperation } from '../helpers/operations.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { revokeApiKey } from '../../schema/db/queries/api-keys.ts';
import { findProjectOperation } from '../../schema/db/queries/operations.ts';

let fake: FakeUpstream;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([
      { name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['echo', 'sleepy', 'refuses', 'flaky-retry', 'flaky-again'] },
    ]),
    OPERATION_CONCURRENCY: '1',
    OPERATION_RETRY_DELAY_SECONDS: '1',
    LOCAL_LLAMA_THREADS: '1',
  });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

async function post(path: string, body: object, secret = key) {
  const response = await fetch(server.baseUrl + path, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('async: true', () => {
  it('answers 202 with a queued operation, which runs the local model to the same result as the sync path', async () => {
    const request = { model: 'local:stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 12 };
    const sync = await post('/infra/ai/responses', request);
    const accepted = await post('/infra/ai/responses', { ...request, async: true });
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe('ok');
    expect(accepted.body.data).toMatchObject({ object: 'ai.operation', kind: 'responses', status: 'queued', model: 'local:stories260K' });
    expect(accepted.body.data.id).toMatch(/^aiop_/);

    const done = await waitForOperation(server.baseUrl, key, accepted.body.data.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.result.output_text).toBe(sync.body.data.output_text);
    expect(done.usage).toMatchObject({ input_tokens: 4, output_tokens: 12 });
    expect(done.attempts).toBe(1);
    const times = ['queued_at', 'processing_at', 'succeeded_at'].map((field) => Date.parse(done[field]));
    expect(times.every(Number.isFinite)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(done.failed_at).toBeNull();
  });

  it('works the same on the /v1 aliases (the operation, unwrapped)', async () => {
    const chat = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'later' }], async: true });
    expect(chat.status).toBe(202);
    expect(chat.body.object).toBe('ai.operation');
    expect(chat.body.kind).toBe('chat.completions');
    const done = await waitForOperation(server.baseUrl, key, chat.body.id, ['succeeded']);
    expect(done.result).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'echo: later' } }] });
    expect(done.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });

    const responses = await post('/v1/responses', { model: 'fake:echo', input: 'x', async: true });
    expect(responses.status).toBe(202);
    expect((await waitForOperation(server.baseUrl, key, responses.body.id, ['succeeded'])).result.object).toBe('response');
  });

  it('retries transient upstream failures with backoff, and does not retry permanent ones', async () => {
    const flaky = await post('/v1/chat/completions', { model: 'fake:flaky-retry', messages: [{ role: 'user', content: 'x' }], async: true });
    const recovered = await waitForOperation(server.baseUrl, key, flaky.body.id, ['succeeded', 'failed'], 100);
    expect(recovered.status).toBe('succeeded');
    expect(recovered.attempts).toBe(3);

    const refused = await post('/v1/chat/completions', { model: 'fake:refuses', messages: [{ role: 'user', content: 'x' }], async: true });
    const failed = await waitForOperation(server.baseUrl, key, refused.body.id, ['succeeded', 'failed']);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ code: 'bad_request' });
    expect(failed.error!.message).toContain('maximum context length');
    expect(failed.failed_at).not.toBeNull();
  });

  it('validates like the sync path before accepting', async () => {
    const bad = await post('/infra/ai/responses', { input: 'x', async: true, temperature: 5 });
    expect(bad.status).toBe(400);
    const streamed = await post('/v1/responses', { model: 'fake:echo', input: 'x', async: true, stream: true });
    expect(streamed.status).toBe(400);
    expect(streamed.body.error.param).toBe('stream');
    const missingBucket = await post('/infra/ai/responses', { input: 'x', async: true, result_destination: { bucket_id: 'sb_nope', key: 'out.json' } });
    expect(missingBucket.status).toBe(404);
    expect(missingBucket.body.error.message).toMatch(/^result_destination\.bucket_id: /);
  });
});

describe('cancel', () => {
  it('cancels a processing operation: its upstream call is aborted and it ends cancelled', async () => {
    const seen = fake.requests.length;
    const accepted = await post('/v1/chat/completions', { model: 'fake:sleepy', messages: [{ role: 'user', content: 'x' }], async: true });
    await waitForOperation(server.baseUrl, key, accepted.body.id, ['processing'], 10);
    // The worker marks the operation processing just before it calls the upstream.
    const sleepyCall = () => fake.requests.slice(seen).find((call) => call.body?.model === 'sleepy');
    for (let poll = 0; poll < 200 && !sleepyCall(); poll++) await new Promise((resolve) => setTimeout(resolve, 10));
    const upstreamCall = sleepyCall()!;
    const cancelled = await post(`/infra/ai/operations/${accepted.body.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    expect(cancelled.body.data.cancelled_at).not.toBeNull();
    await upstreamCall.aborted;
    expect(upstreamCall.wasAborted()).toBe(true);
  });

  it('cancels a queued operation at once (one worker slot, busy)', async () => {
    const busy = await post('/v1/chat/completions', { model: 'fake:sleepy', messages: [{ role: 'user', content: 'x' }], async: true });
    const waiting = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'y' }], async: true });
    await waitForOperation(server.baseUrl, key, busy.body.id, ['processing'], 10);
    expect((await getOperation(server.baseUrl, key, waiting.body.id)).status).toBe('queued');
    const cancelled = await post(`/infra/ai/operations/${waiting.body.id}/cancel`, {});
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', processing_at: null, attempts: 0 });
    await waitForOperation(server.baseUrl, key, busy.body.id, ['succeeded']);
    expect((await getOperation(server.baseUrl, key, waiting.body.id)).status).toBe('cancelled');
  });

  it('answers 409 once the operation has ended', async () => {
    const accepted = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'x' }], async: true });
    await waitForOperation(server.baseUrl, key, accepted.body.id, ['succeeded']);
    const conflict = await post(`/infra/ai/operations/${accepted.body.id}/cancel`, {});
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({ code: 'conflict', details: { status: 'succeeded' } });
    expect(conflict.body.error.message).toBe('operation_id: the operation has already ended (succeeded); it can no longer be cancelled');
  });

  it("answers 404 for another project's operation, on get and cancel", async () => {
    const accepted = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'x' }], async: true });
    const stranger = (await server.createKey()).secret;
    const read = await fetch(`${server.baseUrl}/infra/ai/operations/${accepted.body.id}`, { headers: bearer(stranger) });
    expect(read.status).toBe(404);
    expect((await post(`/infra/ai/operations/${accepted.body.id}/cancel`, {}, stranger)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/infra/ai/operations/aiop_missing`, { headers: bearer(key) })).status).toBe(404);
  });
});

describe('background runs', () => {
  it('re-check the submitting key: an operation whose key was revoked while it queued fails unauthorized', async () => {
    const submitter = await server.createKey();
    // A run of this key before: the worker knows (caches) it, and the revocation must evict it.
    const earlier = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'before' }], async: true }, submitter.secret);
    await waitForOperation(server.baseUrl, submitter.secret, earlier.body.id, ['succeeded']);
    const busy = await post('/v1/chat/completions', { model: 'fake:sleepy', messages: [{ role: 'user', content: 'x' }], async: true });
    const queued = await post('/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'revoked later' }], async: true }, submitter.secret);
    expect(queued.status).toBe(202);
    await waitForOperation(server.baseUrl, key, busy.body.id, ['processing'], 10);
    expect((await getOperation(server.baseUrl, submitter.secret, queued.body.id)).status).toBe('queued');
    await revokeApiKey(server.running.services.db, submitter.keyId);

    await waitForOperation(server.baseUrl, key, busy.body.id, ['succeeded']);
    const refused = await waitUntilEnded(queued.body.id, submitter.projectId);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'unauthorized' } });
    expect(fake.requests.some((call) => JSON.stringify(call.body).includes('revoked later'))).toBe(false);
  });
});

/** The revoked key cannot read its operation any more: read the row itself. */
async function waitUntilEnded(operationId: string, projectId: string) {
  for (let poll = 0; poll < 200; poll++) {
    const operation = await findProjectOperation(server.running.services.db, projectId, operationId);
    if (operation && ['succeeded', 'failed', 'cancelled'].includes(operation.status)) return operation;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`operation ${operationId} did not end`);
}

describe('result_destination', () => {
  async function createBucket(name: string) {
    const created = await post('/infra/storage/buckets', { name });
    expect(created.status).toBe(200);
    return created.body.data.id as string;
  }

  it('writes an async result to storage and shows where', async () => {
    const bucket = await createBucket(`results-${Date.now()}`);
    const accepted = await post('/v1/chat/completions', {
      model: 'fake:echo',
      messages: [{ role: 'user', content: 'to storage' }],
      async: true,
      result_destination: { bucket_id: bucket, key: 'chats/1.json' },
    });
    const done = await waitForOperation(server.baseUrl, key, accepted.body.id, ['succeeded']);
    expect(done.result).toBeNull();
    expect(done.result_destination).toMatchObject({ bucket_id: bucket, key: 'chats/1.json', content_type: 'application/json' });
    const stored = await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/chats/1.json`, { headers: bearer(key) });
    expect(stored.headers.get('content-type')).toBe('application/json');
    const body = await stored.json();
    expect(body.choices[0].message.content).toBe('echo: to storage');
    expect(done.result_destination.size).toBe(Buffer.byteLength(JSON.stringify(body)));
  });

  it('writes a sync result too', async () => {
    const bucket = await createBucket(`sync-${Date.now()}`);
    const answer = await post('/infra/ai/responses', { model: 'fake:echo', input: 'kept', result_destination: { bucket_id: bucket, key: 'r.json' } });
    expect(answer.status).toBe(200);
    const stored = await (await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/r.json`, { headers: bearer(key) })).json();
    expect(stored.output_text).toBe('echo: kept');
  });
});

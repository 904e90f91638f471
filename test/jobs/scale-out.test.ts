import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startChildServer, startChildWorker, type ChildServer } from '../helpers/child-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { provisionKey } from '../helpers/provision-key.ts';
import { bearer } from '../helpers/test-server.ts';

/**
 * The topology the README recommends for scaling out, as processes on loopback: two API replicas
 * that run no workers, and two `npm run worker` processes, all on one Postgres.
 */
let fake: FakeOpenAi;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const apis: ChildServer[] = [];
const workers: ChildServer[] = [];
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  database = await createTestDatabase();
  const environment = {
    DATABASE_URL: database.url,
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['echo', 'sleepy'] }]),
    JOBS_SUPERVISE_SECONDS: '1',
    LOCAL_LLAMA_THREADS: '1',
  };
  // The first API migrates the database; the others start on it together.
  apis.push(await startChildServer({ ...environment, RUN_WORKERS: 'false' }));
  const started = await Promise.all([
    startChildServer({ ...environment, RUN_WORKERS: 'false' }),
    startChildWorker({ ...environment, OPERATION_CONCURRENCY: '2' }),
    startChildWorker({ ...environment, OPERATION_CONCURRENCY: '2' }),
  ]);
  apis.push(started[0]);
  workers.push(started[1], started[2]);
  key = (await provisionKey(database.url, 'scale-out')).secret;
}, 120_000);

afterAll(async () => {
  for (const child of [...apis, ...workers]) await child.stop();
  await database?.drop();
  await fake?.close();
});

async function postJson(api: ChildServer, path: string, body: object) {
  const response = await fetch(api.baseUrl + path, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

/** Exactly the reference's `curl -X POST .../cancel -H "Authorization: Bearer ..."`: no body, no content type. */
function cancelLikeCurl(api: ChildServer, operationId: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${api.baseUrl}/infra/ai/operations/${operationId}/cancel`, { method: 'POST', headers: bearer(key) }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('API replicas without workers, and separate worker processes', () => {
  it('run async operations of every kind submitted to either API, each exactly once', async () => {
    const [first, second] = apis as [ChildServer, ChildServer];
    const markdown = Buffer.from('# Replicated\n\nParsed by a worker process.').toString('base64');
    const form = new FormData();
    form.append('file', new Blob(['# Uploaded\n\nThrough multipart.'], { type: 'text/markdown' }), 'notes.md');
    form.append('async', 'true');
    const submissions = [
      postJson(first, '/infra/ai/responses', { model: 'fake:echo', input: 'first replica', async: true }),
      postJson(second, '/infra/ai/responses', { model: 'fake:echo', input: 'second replica', async: true }),
      postJson(first, '/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'chat one' }], async: true }),
      postJson(second, '/v1/chat/completions', { model: 'fake:echo', messages: [{ role: 'user', content: 'chat two' }], async: true }),
      postJson(first, '/infra/ai/documents/parse', { file: { data: markdown, content_type: 'text/markdown' }, async: true }),
      fetch(`${second.baseUrl}/infra/ai/documents/parse`, { method: 'POST', headers: bearer(key), body: form }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as any,
      })),
      postJson(second, '/infra/ai/audio/speech', { model: 'local:espeak-ng', input: 'Spoken by a worker.', audio_format: 'wav', async: true }),
    ];
    const accepted = await Promise.all(submissions);
    for (const answer of accepted) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const operations = accepted.map((answer) => (answer.body.data ?? answer.body) as { id: string; kind: string });
    expect(new Set(operations.map((operation) => operation.kind))).toEqual(new Set(['responses', 'chat.completions', 'documents.parse', 'audio.speech']));

    const done = await Promise.all(operations.map((operation, index) => waitForOperation(apis[index % 2]!.baseUrl, key, operation.id, ['succeeded', 'failed'], 100)));
    for (const operation of done) {
      expect(operation.error, operation.id).toBeNull();
      expect(operation.status).toBe('succeeded');
      expect(operation.attempts).toBe(1);
    }
    expect(done[0]!.result.output_text).toBe('echo: first replica');
    expect(done[1]!.result.output_text).toBe('echo: second replica');
    expect(done[2]!.result.choices[0].message.content).toBe('echo: chat one');
    expect(done[3]!.result.choices[0].message.content).toBe('echo: chat two');
    expect(done[4]!.result.metadata.title).toBe('Replicated');
    expect(done[5]!.result.metadata.title).toBe('Uploaded');
    expect(done[6]!.result).toMatchObject({ object: 'audio.speech', content_type: 'audio/wav' });

    // Each upstream call was made once: no operation ran twice.
    const prompts = fake.requests.map((call) => JSON.stringify(call.body));
    for (const text of ['first replica', 'second replica', 'chat one', 'chat two']) {
      expect(prompts.filter((prompt) => prompt.includes(text)), text).toHaveLength(1);
    }
  }, 90_000);

  it('cancel asked on one API replica stops the work a worker process is running', async () => {
    const [first, second] = apis as [ChildServer, ChildServer];
    const accepted = await postJson(first, '/v1/chat/completions', { model: 'fake:sleepy', messages: [{ role: 'user', content: 'cancel me' }], async: true });
    expect(accepted.status).toBe(202);
    await waitForOperation(first.baseUrl, key, accepted.body.id, ['processing'], 10);
    // The worker marks the operation processing just before it calls the upstream.
    let upstreamCall = fake.requests.find((call) => JSON.stringify(call.body).includes('cancel me'));
    for (let poll = 0; !upstreamCall && poll < 100; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      upstreamCall = fake.requests.find((call) => JSON.stringify(call.body).includes('cancel me'));
    }
    expect(upstreamCall!.wasAborted()).toBe(false);

    const cancelled = await cancelLikeCurl(second, accepted.body.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ id: accepted.body.id, status: 'cancelled' });
    await upstreamCall!.aborted;
    expect(upstreamCall!.wasAborted()).toBe(true);
  }, 60_000);
});

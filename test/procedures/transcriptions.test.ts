import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startUpstreamTestServer, type UpstreamTestServer } from '../helpers/upstream-test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { sendJson, startEventStream, type FakeUpstream } from '../fakes/fake-upstream-server.ts';

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let key: string;
let client: OpenAI;

const audio = Buffer.from('ID3 pretend this is an mp3 of someone saying hello world');

let upstreams: UpstreamTestServer;

beforeAll(async () => {
  upstreams = await startUpstreamTestServer({
    // OpenAI /audio/transcriptions and /audio/translations: multipart in, verbose JSON out.
    openAi: {
      models: 'whisper-1',
      handler: (request, res) => {
        const translating = request.url.endsWith('/translations');
        if (request.raw.toString('latin1').includes('name="stream"\r\n\r\ntrue')) {
          // gpt-4o-transcribe's streamed answer: text deltas, then the whole transcript.
          const send = startEventStream(res);
          for (const delta of ['hello', ' world']) send(JSON.stringify({ type: 'transcript.text.delta', delta }));
          send(JSON.stringify({ type: 'transcript.text.done', text: 'hello world', usage: { input_tokens: 12, output_tokens: 2 } }));
          return void res.end();
        }
        sendJson(res, 200, {
          task: translating ? 'translate' : 'transcribe',
          language: 'english',
          duration: 2.5,
          text: translating ? 'Good morning' : 'hello world',
          segments: [
            { id: 0, start: 0, end: 1.2, text: translating ? ' Good' : ' hello' },
            { id: 1, start: 1.2, end: 2.5, text: translating ? ' morning' : ' world' },
          ],
          ...(request.raw.toString('latin1').includes('name="timestamp_granularities[]"\r\n\r\nword')
            ? { words: [{ word: 'hello', start: 0, end: 1.1 }, { word: 'world', start: 1.2, end: 2.4 }] }
            : {}),
        });
      },
    },
    // whisper-large-v3-turbo: base64 audio in, `result.text` (and optional info) out.
    workersAi: {
      models: 'whisper-large-v3-turbo',
      handler: (request, res) => {
        sendJson(res, 200, {
          result: { text: request.body.task === 'translate' ? 'good evening' : 'bonsoir', transcription_info: { language: 'fr', duration: 1.5 } },
          success: true,
          errors: [],
          messages: [],
        });
      },
    },
  });
  ({ server, key, openAiFake, workersFake, client } = upstreams);
});
afterAll(() => upstreams.close());

describe('the official SDK (multipart)', () => {
  it('transcribes, in json, verbose_json and srt', async () => {
    const json = await client.audio.transcriptions.create({ file: await toFile(audio, 'hello.mp3'), model: 'openai:whisper-1' });
    expect(json.text).toBe('hello world');
    const sent = openAiFake.requests.at(-1)!;
    expect(sent.url).toBe('/v1/audio/transcriptions');
    expect(sent.raw.toString('latin1')).toContain('name="model"\r\n\r\nwhisper-1');
    expect(sent.raw.includes(audio)).toBe(true);

    const verbose = await client.audio.transcriptions.create({
      file: await toFile(audio, 'hello.mp3'),
      model: 'openai:whisper-1',
      response_format: 'verbose_json',
    });
    expect(verbose.duration).toBe(2.5);
    expect(verbose.segments?.map((segment) => segment.text)).toEqual(['hello', 'world']);

    const srt = await client.audio.transcriptions.create({ file: await toFile(audio, 'hello.mp3'), model: 'openai:whisper-1', response_format: 'srt' });
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,200\nhello\n\n2\n00:00:01,200 --> 00:00:02,500\nworld\n');
  });

  it('gives word timestamps when asked and the provider has them', async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(audio, 'hello.mp3'),
      model: 'openai:whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(verbose.words).toEqual([
      { word: 'hello', start: 0, end: 1.1 },
      { word: 'world', start: 1.2, end: 2.4 },
    ]);
    expect(openAiFake.requests.at(-1)!.raw.toString('latin1')).toContain('name="timestamp_granularities[]"\r\n\r\nword');
    // OpenAI's json format has no words: asking for them there would lose them.
    const lost = await client.audio.transcriptions
      .create({ file: await toFile(audio, 'hello.mp3'), model: 'openai:whisper-1', timestamp_granularities: ['word'] })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((lost as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('timestamp_granularities');
  });

  it('streams a transcript as OpenAI events where the model streams, and refuses stream where it does not', async () => {
    const stream = await client.audio.transcriptions.create({ file: await toFile(audio, 'hello.mp3'), model: 'openai:whisper-1', stream: true });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const event of stream) events.push(event as never);
    expect(events).toEqual([
      { type: 'transcript.text.delta', delta: 'hello' },
      { type: 'transcript.text.delta', delta: ' world' },
      { type: 'transcript.text.done', text: 'hello world', usage: { type: 'tokens', input_tokens: 12, output_tokens: 2, total_tokens: 14 } },
    ]);
    expect(openAiFake.requests.at(-1)!.raw.toString('latin1')).toContain('name="stream"\r\n\r\ntrue');
    const refused = await client.audio.transcriptions
      .create({ file: await toFile(audio, 'fr.mp3'), model: 'workers-ai:whisper-large-v3-turbo', stream: true })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.BadRequestError>);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('stream');
  });

  it('translates to English on Workers AI', async () => {
    const translation = await client.audio.translations.create({ file: await toFile(audio, 'fr.mp3'), model: 'workers-ai:whisper-large-v3-turbo' });
    expect(translation.text).toBe('good evening');
    expect(workersFake.requests.at(-1)!.body).toEqual({ audio: audio.toString('base64'), task: 'translate' });
  });
});

describe('the native route', () => {
  const post = (body: object) =>
    fetch(`${server.baseUrl}/infra/ai/audio/transcriptions`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('takes base64, answers the transcript with segments and a WebVTT rendering', async () => {
    const response = await post({ model: 'openai:whisper-1', base64: audio.toString('base64'), name: 'a.mp3', response_format: 'vtt' });
    const body = (await response.json()) as any;
    expect(body.data).toMatchObject({ object: 'audio.transcription', text: 'hello world', duration_seconds: 2.5, language: 'english' });
    expect(body.data.formatted).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.200\nhello\n\n00:00:01.200 --> 00:00:02.500\nworld\n');
  });

  it('takes a multipart upload and a stored object, and runs async', async () => {
    const form = new FormData();
    form.append('file', new Blob([audio], { type: 'audio/mpeg' }), 'a.mp3');
    form.append('model', 'workers-ai:whisper-large-v3-turbo');
    const uploaded = (await (
      await fetch(`${server.baseUrl}/infra/ai/audio/transcriptions`, { method: 'POST', headers: bearer(key), body: form })
    ).json()) as any;
    expect(uploaded.data).toMatchObject({ text: 'bonsoir', language: 'fr' });

    const bucket = (
      (await (
        await fetch(`${server.baseUrl}/infra/storage/buckets`, {
          method: 'POST',
          headers: { ...bearer(key), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'audio' }),
        })
      ).json()) as any
    ).data.id;
    await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/call.mp3`, {
      method: 'PUT',
      headers: { ...bearer(key), 'content-type': 'audio/mpeg' },
      body: audio,
    });
    const stored = (await (await post({ model: 'openai:whisper-1', storage_ref: { bucket_id: bucket, key: 'call.mp3' } })).json()) as any;
    expect(stored.data.text).toBe('hello world');

    const accepted = await post({ model: 'openai:whisper-1', storage_ref: { bucket_id: bucket, key: 'call.mp3' }, async: true });
    expect(accepted.status).toBe(202);
    const done = await waitForOperation(server.baseUrl, key, ((await accepted.json()) as any).data.id, ['succeeded', 'failed']);
    expect(done.result.text).toBe('hello world');
  });

  it('takes every field of the JSON input as a form field (result_destination included) and refuses unknown ones', async () => {
    const bucket = ((await (await fetch(`${server.baseUrl}/infra/storage/buckets`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'transcripts' }),
    })).json()) as any).data.id;
    const form = new FormData();
    form.append('file', new Blob([audio], { type: 'audio/mpeg' }), 'a.mp3');
    form.append('model', 'openai:whisper-1');
    form.append('temperature', '0.2');
    // A literal in the schema is read as its own kind: the text "false" is the boolean.
    form.append('stream', 'false');
    form.append('result_destination', JSON.stringify({ bucket_id: bucket, key: 'a.json' }));
    const answer = await fetch(`${server.baseUrl}/v1/audio/transcriptions`, { method: 'POST', headers: bearer(key), body: form });
    expect(answer.status).toBe(200);
    expect(openAiFake.requests.at(-1)!.raw.toString('latin1')).toContain('name="temperature"\r\n\r\n0.2');
    const stored = await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/a.json`, { headers: bearer(key) });
    expect(((await stored.json()) as any).text).toBe('hello world');

    const misspelt = new FormData();
    misspelt.append('file', new Blob([audio], { type: 'audio/mpeg' }), 'a.mp3');
    misspelt.append('model', 'openai:whisper-1');
    misspelt.append('temprature', '0.2');
    const refused = await fetch(`${server.baseUrl}/v1/audio/transcriptions`, { method: 'POST', headers: bearer(key), body: misspelt });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ param: 'temprature', message: expect.stringMatching(/^temprature: /) });

    const missingFile = new FormData();
    missingFile.append('model', 'openai:whisper-1');
    const noFile = await fetch(`${server.baseUrl}/infra/ai/audio/transcriptions`, { method: 'POST', headers: bearer(key), body: missingFile });
    expect(noFile.status).toBe(400);
    expect(((await noFile.json()) as any).error.message).toMatch(/^file: /);
  });

  it('validates the audio source', async () => {
    expect((await post({ model: 'openai:whisper-1' })).status).toBe(400);
    expect((await post({ model: 'openai:whisper-1', base64: '%%%' })).status).toBe(400);
  });
});

describe('offline', () => {
  it('has no transcription model: no recognition weights ship, so the capability is absent, not faked', async () => {
    const offline = await startTestServer();
    try {
      const secret = (await offline.createKey()).secret;
      const models = (await (await fetch(`${offline.baseUrl}/infra/ai/models?capability=transcription`, { headers: bearer(secret) })).json()) as any;
      expect(models.data).toEqual([]);
      const response = await fetch(`${offline.baseUrl}/infra/ai/audio/transcriptions`, {
        method: 'POST',
        headers: { ...bearer(secret), 'content-type': 'application/json' },
        body: JSON.stringify({ base64: audio.toString('base64') }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).error.message).toMatch(/no default transcription model/);
    } finally {
      await offline.close();
    }
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type TestServer } from '../helpers/test-server.ts';
import { startUpstreamTestServer, type UpstreamTestServer } from '../helpers/upstream-test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let key: string;
let client: OpenAI;

const riff = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF';
const mp3Frame = (bytes: Uint8Array) => bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0;

let upstreams: UpstreamTestServer;

beforeAll(async () => {
  upstreams = await startUpstreamTestServer({
    // OpenAI /audio/speech: JSON in, audio bytes out.
    openAi: {
      models: 'tts-1',
      handler: (request, res) => {
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.end(Buffer.from([0xff, 0xfb, 0x90, 0x64, ...Buffer.from(String(request.body.input))]));
      },
    },
    // MeloTTS: base64 MP3 inside the v4 envelope.
    workersAi: {
      models: 'melotts',
      handler: (request, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: { audio: Buffer.from([0xff, 0xf3, 1, 2]).toString('base64') }, success: true, errors: [], messages: [] }));
      },
    },
  });
  ({ server, key, openAiFake, workersFake, client } = upstreams);
});
afterAll(() => upstreams.close());

describe('offline speech (eSpeak NG)', () => {
  it('answers the official SDK with audio bytes: mp3 by default, wav and pcm on request', async () => {
    const mp3 = await client.audio.speech.create({ model: 'local:espeak-ng', voice: 'alloy', input: 'Hello from the speech primitive.' });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect(mp3Frame(new Uint8Array(await mp3.arrayBuffer()))).toBe(true);

    const wav = await client.audio.speech.create({ model: 'local:espeak-ng', voice: 'nova', input: 'Hello.', response_format: 'wav' });
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(riff(new Uint8Array(await wav.arrayBuffer()))).toBe(true);

    const pcm = await client.audio.speech.create({ model: 'local:espeak-ng', voice: 'echo', input: 'Hello.', response_format: 'pcm' });
    const samples = new Uint8Array(await pcm.arrayBuffer());
    expect(samples.byteLength % 2).toBe(0);
    expect(samples.byteLength).toBeGreaterThan(24_000 * 2 * 0.2);
  });

  it('answers JSON with inline audio on the native route by default, bytes when asked', async () => {
    const post = (body: object) =>
      fetch(`${server.baseUrl}/infra/ai/audio/speech`, {
        method: 'POST',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const json = (await (await post({ input: 'Inline audio please.', audio_format: 'wav' })).json()) as any;
    expect(json.data).toMatchObject({ object: 'audio.speech', model: 'local:espeak-ng', format: 'wav', content_type: 'audio/wav' });
    expect(json.data.duration_seconds).toBeGreaterThan(0.5);
    const audio = Buffer.from(json.data.audio, 'base64');
    expect(audio.length).toBe(json.data.bytes);
    expect(riff(audio)).toBe(true);

    const binary = await post({ input: 'Raw bytes.', response_format: 'binary', audio_format: 'wav' });
    expect(binary.headers.get('content-type')).toBe('audio/wav');
    expect(riff(new Uint8Array(await binary.arrayBuffer()))).toBe(true);
  });

  it.each([
    [{ input: 'x', voice: 'robot' }, 'voice'],
    [{ input: 'x', response_format: 'opus' }, 'response_format'],
    [{ input: 'x'.repeat(4097) }, 'input'],
    [{ input: '' }, 'input'],
    [{ input: 'x', speed: 5 }, 'speed'],
  ])('%j answers 400 naming %s', async (body, param) => {
    const response = await fetch(`${server.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local:espeak-ng', ...body }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.param).toBe(param);
  });

  it('writes async results to storage as audio', async () => {
    const bucket = (
      (await (
        await fetch(`${server.baseUrl}/infra/storage/buckets`, {
          method: 'POST',
          headers: { ...bearer(key), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'voice' }),
        })
      ).json()) as any
    ).data.id;
    const accepted = await fetch(`${server.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'Stored speech.', response_format: 'mp3', async: true, result_destination: { bucket_id: bucket, key: 'hello.mp3' } }),
    });
    expect(accepted.status).toBe(202);
    const operation = (await accepted.json()) as { id: string };
    const done = await waitForOperation(server.baseUrl, key, operation.id, ['succeeded', 'failed']);
    expect(done.result_destination).toMatchObject({ key: 'hello.mp3', content_type: 'audio/mpeg' });
    const stored = await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/hello.mp3`, { headers: bearer(key) });
    expect(stored.headers.get('content-type')).toBe('audio/mpeg');
    expect(mp3Frame(new Uint8Array(await stored.arrayBuffer()))).toBe(true);
  });
});

describe('upstream speech', () => {
  it('relays OpenAI audio bytes', async () => {
    const speech = await client.audio.speech.create({ model: 'openai:tts-1', voice: 'alloy', input: 'relay' });
    const bytes = new Uint8Array(await speech.arrayBuffer());
    expect(Buffer.from(bytes.subarray(4)).toString()).toBe('relay');
    expect(openAiFake.requests.at(-1)!.body).toMatchObject({ model: 'tts-1', input: 'relay', voice: 'alloy', response_format: 'mp3', speed: 1 });
  });

  it('decodes MeloTTS base64 audio', async () => {
    const speech = await client.audio.speech.create({ model: 'workers-ai:melotts', voice: 'alloy', input: 'melo' });
    expect([...new Uint8Array(await speech.arrayBuffer())]).toEqual([0xff, 0xf3, 1, 2]);
    expect(workersFake.requests.at(-1)!.body).toEqual({ prompt: 'melo', lang: 'en' });
  });
});

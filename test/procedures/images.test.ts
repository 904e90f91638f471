import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startUpstreamTestServer, type UpstreamTestServer } from '../helpers/upstream-test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { sendJson, type FakeUpstream } from '../fakes/fake-upstream-server.ts';

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const jpeg = Buffer.from('ffd8ffe000104a464946', 'hex');

let openAiFake: FakeUpstream;
let workersFake: FakeUpstream;
let server: TestServer;
let key: string;
let client: OpenAI;

let upstreams: UpstreamTestServer;

beforeAll(async () => {
  upstreams = await startUpstreamTestServer({
    // OpenAI images: generations as JSON, edits and variations as multipart; base64 PNGs back.
    openAi: {
      models: 'dall-e-2',
      handler: (request, res) => {
        const n = request.url.endsWith('/generations') ? request.body.n : Number(/name="n"\r\n\r\n(\d+)/.exec(request.raw.toString('latin1'))?.[1] ?? 1);
        sendJson(res, 200, { created: 1, data: Array.from({ length: n }, () => ({ b64_json: png.toString('base64'), revised_prompt: 'a revised prompt' })) });
      },
    },
    // FLUX.1 schnell: one base64 JPEG per call.
    workersAi: {
      models: 'flux-1-schnell',
      handler: (_request, res) => sendJson(res, 200, { result: { image: jpeg.toString('base64') }, success: true, errors: [], messages: [] }),
    },
  });
  ({ server, key, openAiFake, workersFake, client } = upstreams);
});
afterAll(() => upstreams.close());

describe('the official SDK', () => {
  it('generates images as base64 or data URLs', async () => {
    const generated = await client.images.generate({
      model: 'openai:dall-e-2',
      prompt: 'a lighthouse at dawn',
      n: 2,
      response_format: 'b64_json',
      size: '512x512',
    });
    expect(generated.data).toHaveLength(2);
    expect(Buffer.from(generated.data![0]!.b64_json!, 'base64').equals(png)).toBe(true);
    expect(openAiFake.requests.at(-1)!.body).toMatchObject({
      model: 'dall-e-2',
      prompt: 'a lighthouse at dawn',
      n: 2,
      size: '512x512',
      response_format: 'b64_json',
    });
    const urls = await client.images.generate({ model: 'workers-ai:flux-1-schnell', prompt: 'a fox', response_format: 'url' });
    expect(urls.data![0]!.url).toBe(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
  });

  it('edits and varies images through multipart', async () => {
    const edited = await client.images.edit({ model: 'openai:dall-e-2', image: await toFile(png, 'in.png', { type: 'image/png' }), prompt: 'add a boat' });
    expect(edited.data![0]!.b64_json).toBe(png.toString('base64'));
    const sent = openAiFake.requests.at(-1)!;
    expect(sent.url).toBe('/v1/images/edits');
    expect(sent.raw.toString('latin1')).toContain('name="prompt"\r\n\r\nadd a boat');
    expect(sent.raw.includes(png)).toBe(true);
    const varied = await client.images.createVariation({ model: 'openai:dall-e-2', image: await toFile(png, 'in.png', { type: 'image/png' }), n: 1 });
    expect(varied.data).toHaveLength(1);
    expect(openAiFake.requests.at(-1)!.url).toBe('/v1/images/variations');
  });

  it("edits and varies an image from storage, given as the reference documents it: image.storage_ref", async () => {
    const headers = { ...bearer(key), 'content-type': 'application/json' };
    const bucket = ((await (await fetch(`${server.baseUrl}/infra/storage/buckets`, { method: 'POST', headers, body: '{"name":"sources"}' })).json()) as any).data.id;
    await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/hero/original.png`, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'image/png' }, body: png });
    const edit = (image: unknown) =>
      fetch(`${server.baseUrl}/infra/ai/images/edits`, { method: 'POST', headers, body: JSON.stringify({ model: 'openai:dall-e-2', prompt: 'add a boat', image }) });

    const edited = await edit({ storage_ref: { bucket_id: bucket, key: 'hero/original.png' } });
    expect(edited.status).toBe(200);
    expect(openAiFake.requests.at(-1)!.raw.includes(png)).toBe(true);
    const varied = await fetch(`${server.baseUrl}/infra/ai/images/variations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'openai:dall-e-2', image: { storage_ref: { bucket_id: bucket, key: 'hero/original.png' } } }),
    });
    expect(varied.status).toBe(200);
    expect(openAiFake.requests.at(-1)!.url).toBe('/v1/images/variations');

    const missing = await edit({ storage_ref: { bucket_id: bucket, key: 'hero/none.png' } });
    expect(missing.status).toBe(404);
    const refusal = (await missing.json()) as any;
    expect(refusal.error.message, JSON.stringify(refusal)).toMatch(/^image.storage_ref.key: no object/);
  });

  it('refuses an edit on a model that can only generate', async () => {
    await expect(client.images.edit({ model: 'workers-ai:flux-1-schnell', image: await toFile(png, 'in.png'), prompt: 'x' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'model' },
    });
  });
});

describe('the native routes', () => {
  const post = (path: string, body: object) =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answer the images with their content types', async () => {
    const body = (await (await post('/infra/ai/images/generations', { model: 'workers-ai:flux-1-schnell', prompt: 'a fox', n: 2 })).json()) as any;
    expect(body.data).toMatchObject({ object: 'list', model: 'workers-ai:flux-1-schnell' });
    expect(body.data.data.map((image: { content_type: string }) => image.content_type)).toEqual(['image/jpeg', 'image/jpeg']);
  });

  it('store an async result as the image itself', async () => {
    const bucket = ((await (await post('/infra/storage/buckets', { name: 'art' })).json()) as any).data.id;
    const accepted = await post('/infra/ai/images/generations', {
      model: 'workers-ai:flux-1-schnell',
      prompt: 'a fox',
      async: true,
      result_destination: { bucket_id: bucket, key: 'fox.jpg' },
    });
    expect(accepted.status).toBe(202);
    const done = await waitForOperation(server.baseUrl, key, ((await accepted.json()) as any).data.id, ['succeeded', 'failed']);
    expect(done.result_destination).toMatchObject({ key: 'fox.jpg', content_type: 'image/jpeg', size: jpeg.length });
    const stored = await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/fox.jpg`, { headers: bearer(key) });
    expect(Buffer.from(await stored.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it.each([
    [{ prompt: '' }, 'prompt'],
    [{ prompt: 'x', n: 5 }, 'n'],
    [{ prompt: 'x', size: 'huge' }, 'size'],
    [{ prompt: 'x', steps: 17 }, 'steps'],
  ])('%j answers 400 naming %s', async (body, field) => {
    const response = await post('/infra/ai/images/generations', { model: 'workers-ai:flux-1-schnell', ...body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toMatch(new RegExp(`^${field}: `));
  });
});

describe('offline', () => {
  it('has no image model (no weights ship), so generation is refused, not faked', async () => {
    const offline = await startTestServer();
    try {
      const secret = (await offline.createKey()).secret;
      const response = await fetch(`${offline.baseUrl}/v1/images/generations`, {
        method: 'POST',
        headers: { ...bearer(secret), 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x' }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).error.message).toMatch(/no default image_generation model/);
    } finally {
      await offline.close();
    }
  });
});

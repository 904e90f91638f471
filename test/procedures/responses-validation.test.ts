import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

async function post(path: string, body: unknown) {
  const response = await fetch(server.baseUrl + path, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const model = 'local:stories260K';

describe.each([
  ['/infra/ai/responses', { model, input: 'hi' }],
  ['/v1/responses', { model, input: 'hi' }],
  ['/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }],
] as const)('bad input to %s', (path, valid) => {
  const tokensField = path === '/v1/chat/completions' ? 'max_tokens' : 'max_output_tokens';
  const messageOf = (body: any) => body.error.message as string;

  it.each([
    [{ temperature: 3 }, 'temperature'],
    [{ temperature: 'hot' }, 'temperature'],
    [{ [tokensField]: 0 }, tokensField],
    [{ [tokensField]: 8193 }, tokensField],
    [{ [tokensField]: 1.5 }, tokensField],
    [{ model: 42 }, 'model'],
    [{ stream: 'yes' }, 'stream'],
    [{ response_format: { type: 'xml' } }, 'response_format.type'],
    [{ result_destination: { bucket_id: '' , key: 'k' } }, 'result_destination.bucket_id'],
  ])('%j answers 400 naming %s', async (change, field) => {
    const { status, body } = await post(path, { ...valid, ...change });
    expect(status).toBe(400);
    expect(messageOf(body)).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    if (path.startsWith('/v1')) expect(body.error).toMatchObject({ type: 'invalid_request_error', param: field });
    else expect(body.error.code).toBe('bad_request');
  });

  it('answers 404 for an unknown model', async () => {
    const { status, body } = await post(path, { ...valid, model: 'local:missing' });
    expect(status).toBe(404);
    expect(messageOf(body)).toContain('local:missing');
  });
});

describe('messages and input', () => {
  it('rejects empty messages', async () => {
    const chat = await post('/v1/chat/completions', { model, messages: [] });
    expect(chat.status).toBe(400);
    expect(chat.body.error.param).toBe('messages');
    const native = await post('/infra/ai/responses', { model, messages: [] });
    expect(native.status).toBe(400);
    expect(native.body.error.message).toMatch(/^messages: /);
  });

  it('requires input or messages, not both', async () => {
    expect((await post('/infra/ai/responses', { model })).body.error.message).toMatch(/^input: Provide input or messages/);
    expect((await post('/infra/ai/responses', { model, input: 'a', messages: [{ role: 'user', content: 'b' }] })).body.error.message).toMatch(
      /^messages: /,
    );
  });

  it('rejects a role that does not exist and a malformed content part', async () => {
    expect((await post('/v1/chat/completions', { model, messages: [{ role: 'wizard', content: 'x' }] })).body.error.param).toBe('messages.0.role');
    expect((await post('/v1/responses', { model, input: [{ role: 'user', content: [{ type: 'input_video' }] }] })).body.error.param).toMatch(
      /^input/,
    );
  });

  it('needs a schema for a json_schema format', async () => {
    const { status, body } = await post('/v1/responses', { model, input: 'x', text: { format: { type: 'json_schema', name: 'x' } } });
    expect(status).toBe(400);
    expect(body.error.param).toBe('text.format.schema');
  });

  it('rejects n > 1', async () => {
    const { status, body } = await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'x' }], n: 2 });
    expect(status).toBe(400);
    expect(body.error.param).toBe('n');
  });
});

import { rawRequest } from '../helpers/raw-http.ts';
import { checked, describeTally, formatTable, tally } from './report.ts';
import type { Scenario } from './stage.ts';

/**
 * Every malformed-path and bad-byte probe on every door of the request pipeline, each sent as raw
 * bytes (no client normalises them) with a key and without one: each must be a 4xx, and the
 * process must still serve afterwards.
 */

/** How a probe is spelled where it goes: a percent escape in a URL, an escape in JSON text, or raw bytes anywhere. */
interface Probe {
  name: string;
  percent?: string;
  jsonEscape?: string;
  bytes?: Buffer;
}

const probes: Probe[] = [
  { name: '%ZZ', percent: '%ZZ' },
  { name: '%E0%A4%A', percent: '%E0%A4%A' },
  { name: '%ED%A0%80', percent: '%ED%A0%80' },
  { name: '%C0%80', percent: '%C0%80' },
  { name: '%00', percent: '%00' },
  { name: '\\u0000', jsonEscape: '\\u0000' },
  { name: '\\ud800', jsonEscape: '\\ud800' },
  { name: '\\udc00x', jsonEscape: '\\udc00x' },
  { name: 'byte FF', bytes: Buffer.from([0xff]) },
  { name: 'bytes C3 28', bytes: Buffer.from([0xc3, 0x28]) },
  { name: 'bytes ED A0 80', bytes: Buffer.from([0xed, 0xa0, 0x80]) },
  { name: 'bytes C0 80', bytes: Buffer.from([0xc0, 0x80]) },
  { name: 'byte 00', bytes: Buffer.from([0x00]) },
];

/** Where in a request the probe goes, which decides which spellings of it mean anything there. */
type Place = 'path' | 'query' | 'json-in-query' | 'header' | 'json-body' | 'form';

/** The probe as bytes for its place, or undefined when that spelling is plain text there (`%ZZ` in a JSON string is just text). */
function spell(probe: Probe, place: Place): Buffer | undefined {
  if (probe.bytes) return probe.bytes;
  if (probe.percent !== undefined) return place === 'path' || place === 'query' || place === 'json-in-query' ? Buffer.from(probe.percent) : undefined;
  if (probe.jsonEscape !== undefined) {
    if (place === 'json-body') return Buffer.from(probe.jsonEscape);
    // JSON text in a query parameter is percent-encoded as a whole.
    if (place === 'json-in-query') return Buffer.from(encodeURIComponent(probe.jsonEscape));
  }
  return undefined;
}

interface Door {
  door: string;
  place: Place;
  /** The whole request with the probe in its place, and the key's header when given. */
  request(probe: Buffer, authorization: string): Buffer;
}

const crlf = '\r\n';
const text = (value: string) => Buffer.from(value, 'latin1');

/** A request from its parts, the body's length counted; `target` and header values may hold raw bytes. */
function httpRequest(method: string, target: Buffer, headers: [string, Buffer | string][], body?: Buffer): Buffer {
  const lines = [text(`${method} `), target, text(` HTTP/1.1${crlf}Host: localhost${crlf}Connection: close${crlf}`)];
  for (const [name, value] of headers) lines.push(text(`${name}: `), typeof value === 'string' ? text(value) : value, text(crlf));
  if (body) lines.push(text(`Content-Length: ${body.length}${crlf}`));
  lines.push(text(crlf));
  if (body) lines.push(body);
  return Buffer.concat(lines);
}

const auth = (authorization: string): [string, string][] => (authorization ? [['Authorization', authorization]] : []);
const json = (authorization: string): [string, string][] => [...auth(authorization), ['Content-Type', 'application/json']];
const around = (before: string, probe: Buffer, after: string) => Buffer.concat([text(before), probe, text(after)]);
const utf8Around = (before: string, probe: Buffer, after: string) => Buffer.concat([Buffer.from(before), probe, Buffer.from(after)]);
const websocket: [string, string][] = [
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Version', '13'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
];

const boundary = 'chaosboundary7d2f';

/** A multipart body: `fields` as text parts (values may hold raw bytes), then one file part. */
function multipart(fields: [string, Buffer][], file: { name: Buffer; contentType: string; data: Buffer }): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(text(`--${boundary}${crlf}Content-Disposition: form-data; name="${name}"${crlf}${crlf}`), value, text(crlf));
  parts.push(text(`--${boundary}${crlf}Content-Disposition: form-data; name="file"; filename="`), file.name, text(`"${crlf}Content-Type: ${file.contentType}${crlf}${crlf}`));
  parts.push(file.data, text(`${crlf}--${boundary}--${crlf}`));
  return Buffer.concat(parts);
}

const formHeaders = (authorization: string): [string, string][] => [...auth(authorization), ['Content-Type', `multipart/form-data; boundary=${boundary}`]];
const helloFile = { name: text('hello.txt'), contentType: 'text/plain', data: Buffer.from('hello') };
// A WAV header and a little silence: what the transcription upload expects to find.
const silence = Buffer.concat([Buffer.from('RIFF$\u0000\u0000\u0000WAVEfmt ', 'latin1'), Buffer.alloc(36)]);

/** A POST of JSON whose body holds the probe between `before` and `after` (inside a string, or a key). */
const jsonBodyDoor = (door: string, path: string, before: string, after: string): Door => ({
  door,
  place: 'json-body',
  request: (probe, authorization) => httpRequest('POST', text(path), json(authorization), utf8Around(before, probe, after)),
});

const doors: Door[] = [
  // Path parameters of both REST trees, the raw-body route, the pages, /trpc and the upgrade.
  { door: 'GET /infra/ai/models/{id}', place: 'path', request: (p, a) => httpRequest('GET', around('/infra/ai/models/m', p, ''), auth(a)) },
  { door: 'GET /v1/models/{id}', place: 'path', request: (p, a) => httpRequest('GET', around('/v1/models/m', p, ''), auth(a)) },
  { door: 'GET /infra/ai/operations/{id}', place: 'path', request: (p, a) => httpRequest('GET', around('/infra/ai/operations/aiop_', p, ''), auth(a)) },
  { door: 'POST /infra/ai/operations/{id}/cancel', place: 'path', request: (p, a) => httpRequest('POST', around('/infra/ai/operations/aiop_', p, '/cancel'), json(a), Buffer.from('{}')) },
  { door: 'GET /v1/responses/{id}', place: 'path', request: (p, a) => httpRequest('GET', around('/v1/responses/resp_', p, ''), auth(a)) },
  { door: 'DELETE /infra/webhooks/endpoints/{id}', place: 'path', request: (p, a) => httpRequest('DELETE', around('/infra/webhooks/endpoints/we_', p, ''), auth(a)) },
  {
    door: 'PUT /infra/storage/buckets/{id}/objects/k (raw)',
    place: 'path',
    request: (p, a) => httpRequest('PUT', around('/infra/storage/buckets/sb_', p, '/objects/k'), [...auth(a), ['Content-Type', 'text/plain']], Buffer.from('object bytes')),
  },
  {
    door: 'PUT /infra/storage/buckets/b/objects/{key} (raw)',
    place: 'path',
    request: (p, a) => httpRequest('PUT', around('/infra/storage/buckets/sb_1/objects/a/', p, '.txt'), [...auth(a), ['Content-Type', 'text/plain']], Buffer.from('object bytes')),
  },
  { door: 'GET /infra/storage/buckets/b/objects/{key}', place: 'path', request: (p, a) => httpRequest('GET', around('/infra/storage/buckets/sb_1/objects/a', p, ''), auth(a)) },
  { door: 'GET /dashboard/{file}', place: 'path', request: (p, a) => httpRequest('GET', around('/dashboard/', p, '.js'), auth(a)) },
  { door: 'GET /docs/assets/{file}', place: 'path', request: (p, a) => httpRequest('GET', around('/docs/assets/', p, '.css'), auth(a)) },
  { door: 'GET /trpc/{procedure}', place: 'path', request: (p, a) => httpRequest('GET', around('/trpc/infra.ai.models.list', p, ''), auth(a)) },
  { door: 'upgrade /v1/realtime/{x}', place: 'path', request: (p, a) => httpRequest('GET', around('/v1/realtime/', p, ''), [...auth(a), ...websocket]) },
  // Query parameters: REST, the upgrade, and tRPC's JSON input (a single call and a batch).
  { door: 'GET /infra/ai/models?provider=', place: 'query', request: (p, a) => httpRequest('GET', around('/infra/ai/models?provider=', p, ''), auth(a)) },
  { door: 'GET /infra/ai/operations?status=', place: 'query', request: (p, a) => httpRequest('GET', around('/infra/ai/operations?status=', p, ''), auth(a)) },
  { door: 'GET /v1/models?{name}=1', place: 'query', request: (p, a) => httpRequest('GET', around('/v1/models?', p, '=1'), auth(a)) },
  { door: 'upgrade /v1/realtime?model=', place: 'query', request: (p, a) => httpRequest('GET', around('/v1/realtime?model=', p, ''), [...auth(a), ...websocket]) },
  {
    door: 'GET /trpc ?input=',
    place: 'json-in-query',
    request: (p, a) => httpRequest('GET', around(`/trpc/infra.ai.models.get?input=${encodeURIComponent('{"model_id":"m')}`, p, encodeURIComponent('"}')), auth(a)),
  },
  {
    door: 'GET /trpc batch ?input=',
    place: 'json-in-query',
    request: (p, a) =>
      httpRequest('GET', around(`/trpc/infra.ai.models.list,infra.ai.models.get?batch=1&input=${encodeURIComponent('{"0":{},"1":{"model_id":"m')}`, p, encodeURIComponent('"}}')), auth(a)),
  },
  // Headers.
  { door: 'header Authorization (GET /v1/models)', place: 'header', request: (p, a) => httpRequest('GET', text('/v1/models'), [['Authorization', around(`${a || 'Bearer '}`, p, '')]]) },
  {
    door: 'header Content-Type (POST /v1/embeddings)',
    place: 'header',
    request: (p, a) => httpRequest('POST', text('/v1/embeddings'), [...auth(a), ['Content-Type', around('application/json', p, '')]], Buffer.from('{"input":"x"}')),
  },
  { door: 'header Authorization (upgrade)', place: 'header', request: (p, a) => httpRequest('GET', text('/v1/realtime'), [['Authorization', around(`${a || 'Bearer '}`, p, '')], ...websocket]) },
  {
    door: 'header Sec-WebSocket-Protocol (upgrade)',
    place: 'header',
    request: (p, a) => httpRequest('GET', text('/v1/realtime'), [...auth(a), ['Sec-WebSocket-Protocol', around('realtime, openai-insecure-api-key.ek_', p, '')], ...websocket]),
  },
  // JSON bodies: both trees, a key name, tRPC single and batched.
  jsonBodyDoor('POST /v1/embeddings body', '/v1/embeddings', '{"input":"a', '"}'),
  jsonBodyDoor('POST /infra/ai/embeddings body', '/infra/ai/embeddings', '{"input":["ok","a', '"]}'),
  jsonBodyDoor('POST /v1/chat/completions body', '/v1/chat/completions', '{"model":"local:stories260K","messages":[{"role":"user","content":"a', '"}]}'),
  jsonBodyDoor('POST /infra/ai/documents/chunk key name', '/infra/ai/documents/chunk', '{"text":"ok","metadata":{"k', '":1}}'),
  jsonBodyDoor('POST /infra/storage/buckets body', '/infra/storage/buckets', '{"name":"b', '"}'),
  jsonBodyDoor('POST /trpc body', '/trpc/infra.ai.documents.chunk', '{"text":"a', '"}'),
  jsonBodyDoor('POST /trpc batch body', '/trpc/infra.ai.documents.chunk,infra.ai.embeddings.create?batch=1', '{"0":{"text":"ok"},"1":{"input":"a', '"}}'),
  // Multipart form fields and file names.
  {
    door: 'multipart /infra/ai/documents/parse field',
    place: 'form',
    request: (p, a) => httpRequest('POST', text('/infra/ai/documents/parse'), formHeaders(a), multipart([['strategy', around('fast', p, '')]], helloFile)),
  },
  {
    door: 'multipart /infra/ai/documents/parse filename',
    place: 'form',
    request: (p, a) => httpRequest('POST', text('/infra/ai/documents/parse'), formHeaders(a), multipart([], { ...helloFile, name: around('hello', p, '.txt') })),
  },
  {
    door: 'multipart /v1/audio/transcriptions field',
    place: 'form',
    request: (p, a) =>
      httpRequest('POST', text('/v1/audio/transcriptions'), formHeaders(a), multipart([['model', around('whisper', p, '')]], { name: text('a.wav'), contentType: 'audio/wav', data: silence })),
  },
  {
    door: 'multipart /v1/audio/transcriptions prompt',
    place: 'form',
    request: (p, a) =>
      httpRequest(
        'POST',
        text('/v1/audio/transcriptions'),
        formHeaders(a),
        multipart([['model', Buffer.from('whisper-1')], ['prompt', around('a', p, '')]], { name: text('a.wav'), contentType: 'audio/wav', data: silence }),
      ),
  },
];

/** What a cell shows: the status, or `closed` when the connection ended without an answer. */
const shown = (status: number) => (status === 0 ? 'closed' : String(status));

export const badBytes: Scenario = {
  name: 'bad-bytes',
  summary: 'every malformed-path and bad-byte probe on every door, with a key and without: a 4xx each, the process alive',
  timeoutMs: { small: 90_000, full: 180_000 },
  async run(stage) {
    const databaseUrl = await stage.database();
    // Realtime configured (its upstream is never reached): an upgrade is then judged on what it sends, not answered 501.
    const server = await stage.server({ DATABASE_URL: databaseUrl, REALTIME_UPSTREAM_URL: 'ws://127.0.0.1:9/v1/realtime', REALTIME_API_KEY: 'unused' });
    const key = await stage.key(databaseUrl, 'bad-bytes');
    const port = Number(new URL(server.baseUrl).port);

    const statuses: number[] = [];
    const wrong: string[] = [];
    // 4xx, but not the refusal of the bytes themselves (they went further: a 404 for a model, say): one line per door and status.
    const otherRefusals = new Map<string, { count: number; example: string }>();
    const probeDoor = async (door: Door): Promise<Record<string, string>> => {
      const row: Record<string, string> = { door: door.door };
      for (const probe of probes) {
        const spelled = spell(probe, door.place);
        if (!spelled) {
          row[probe.name] = '-';
          continue;
        }
        const cell: string[] = [];
        for (const authorization of [`Bearer ${key}`, '']) {
          const answer = await rawRequest(port, door.request(spelled, authorization), { keepOpenMs: 15_000 });
          statuses.push(answer.status);
          cell.push(shown(answer.status));
          const body = JSON.stringify(answer.body ?? '').slice(0, 160);
          if (answer.status < 400 || answer.status >= 500) wrong.push(`${door.door} × ${probe.name} ${authorization ? 'with' : 'without'} a key: ${shown(answer.status)} ${body}`);
          else if (answer.status !== 400 && answer.status !== 401) {
            const seen = otherRefusals.get(`${door.door} → ${answer.status}`);
            if (seen) seen.count++;
            else otherRefusals.set(`${door.door} → ${answer.status}`, { count: 1, example: `${probe.name}: ${body}` });
          }
        }
        // One status when the key made no difference, else "with key/without".
        row[probe.name] = cell[0] === cell[1] ? cell[0]! : cell.join('/');
      }
      return row;
    };
    const rows: Record<string, string>[] = [];
    for (let at = 0; at < doors.length; at += 8) rows.push(...(await Promise.all(doors.slice(at, at + 8).map(probeDoor))));

    stage.print('door × probe → status (with a key/without one; one figure when both agree; - where the spelling is plain text)');
    for (const line of formatTable(rows).split('\n')) stage.print(line);
    for (const [doorStatus, { count, example }] of otherRefusals) stage.print(`4xx other than 400/401: ${doorStatus} ×${count}, e.g. ${example}`);
    for (const line of wrong) stage.print(`NOT A 4XX: ${line}`);

    const health = await fetch(`${server.baseUrl}/healthz`).then((response) => response.status, () => 0);
    const statusCounts = tally(statuses.map(shown));
    return {
      figures: { probes: statuses.length, statuses: statusCounts, healthAfter: health, serverAlive: server.alive() },
      goals: [
        checked('every probe on every door answered 4xx', wrong.length === 0, `${statuses.length - wrong.length} of ${statuses.length} (${describeTally(statusCounts)})`),
        checked('the server process still runs', server.alive(), server.alive() ? 'running' : `exited: ${server.output().slice(-400)}`),
        checked('/healthz answers 200 afterwards', health === 200, String(health)),
      ],
    };
  },
};

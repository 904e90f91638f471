import JSZip from 'jszip';
import { createBenchKey, startBenchServer } from './bench-server.ts';
import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { residentMiB } from './process-memory.ts';

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | (() => FormData);
  /** The statuses this request may get; anything else is reported, a 5xx fails the soak. */
  expect: number[];
}

const json = (value: unknown) => JSON.stringify(value);
const sentence = 'The soak sends the same mix of good and bad requests for minutes on end. ';

async function docxBomb(): Promise<string> {
  const zip = new JSZip();
  zip.file('word/document.xml', `<w:document><w:body>${'<w:p><w:r><w:t>x</w:t></w:r></w:p>'.repeat(700_000)}</w:body></w:document>`);
  return Buffer.from(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' })).toString('base64');
}

function cases(bucket: string, fakeModel: string, bomb: string): Case[] {
  const object = `/infra/storage/buckets/${bucket}/objects/soak/item.txt`;
  const local = 'local:universal-sentence-encoder-lite';
  const upload = () => {
    const form = new FormData();
    form.append('file', new Blob([`# Uploaded\n\n${sentence}`], { type: 'text/markdown' }), 'notes.md');
    return form;
  };
  const audioUpload = () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('ID3 not really audio')], { type: 'audio/mpeg' }), 'a.mp3');
    form.append('model', 'whisper-1');
    return form;
  };
  const imageUpload = () => {
    const form = new FormData();
    form.append('image', new Blob([Buffer.from('not a png')], { type: 'image/png' }), 'a.png');
    form.append('prompt', 'a cat');
    return form;
  };
  return [
    { name: 'models list', method: 'GET', path: '/infra/ai/models?capability=embeddings', expect: [200] },
    { name: 'models get', method: 'GET', path: `/infra/ai/models/${encodeURIComponent(local)}`, expect: [200] },
    { name: 'models get unknown', method: 'GET', path: '/v1/models/nope:nothing', expect: [404] },
    { name: 'v1 models', method: 'GET', path: '/v1/models', expect: [200] },
    { name: 'v1 model', method: 'GET', path: `/v1/models/${encodeURIComponent(fakeModel)}`, expect: [200] },
    { name: 'responses local', method: 'POST', path: '/infra/ai/responses', body: json({ model: 'local:stories260K', input: 'Once upon a time', max_output_tokens: 16 }), expect: [200] },
    { name: 'responses upstream', method: 'POST', path: '/v1/responses', body: json({ model: fakeModel, input: 'soak' }), expect: [200] },
    { name: 'responses stream', method: 'POST', path: '/v1/responses', body: json({ model: fakeModel, input: 'soak', stream: true }), expect: [200] },
    { name: 'responses async', method: 'POST', path: '/infra/ai/responses', body: json({ model: fakeModel, input: 'later', async: true }), expect: [202] },
    { name: 'responses bad temperature', method: 'POST', path: '/v1/responses', body: json({ model: fakeModel, input: 'x', temperature: 9 }), expect: [400] },
    { name: 'chat', method: 'POST', path: '/v1/chat/completions', body: json({ model: fakeModel, messages: [{ role: 'user', content: 'hi' }] }), expect: [200] },
    { name: 'chat stream', method: 'POST', path: '/v1/chat/completions', body: json({ model: fakeModel, messages: [{ role: 'user', content: 'hi' }], stream: true }), expect: [200] },
    { name: 'chat no messages', method: 'POST', path: '/v1/chat/completions', body: json({ model: fakeModel, messages: [] }), expect: [400] },
    { name: 'embeddings local', method: 'POST', path: '/v1/embeddings', body: json({ model: local, input: [sentence, 'another text'] }), expect: [200] },
    { name: 'embeddings native', method: 'POST', path: '/infra/ai/embeddings', body: json({ model: local, input: sentence }), expect: [200] },
    { name: 'embeddings too long', method: 'POST', path: '/v1/embeddings', body: json({ model: local, input: 'x'.repeat(200_000) }), expect: [400] },
    { name: 'embeddings wrong type', method: 'POST', path: '/v1/embeddings', body: json({ model: local, input: 42 }), expect: [400] },
    { name: 'rerank', method: 'POST', path: '/infra/ai/rerank', body: json({ query: 'soak', documents: [sentence, 'unrelated words'] }), expect: [200] },
    { name: 'rerank empty', method: 'POST', path: '/infra/ai/rerank', body: json({ query: 'soak', documents: [] }), expect: [400] },
    { name: 'moderation', method: 'POST', path: '/v1/moderations', body: json({ input: 'I will hurt you' }), expect: [200] },
    { name: 'moderation native', method: 'POST', path: '/infra/ai/moderations', body: json({ input: ['fine', 'also fine'] }), expect: [200] },
    { name: 'chunk', method: 'POST', path: '/infra/ai/documents/chunk', body: json({ text: sentence.repeat(2000), max_chars: 500, overlap_chars: 50 }), expect: [200] },
    { name: 'chunk too many', method: 'POST', path: '/infra/ai/documents/chunk', body: json({ text: 'word '.repeat(600_000), max_chars: 100, overlap_chars: 50 }), expect: [400] },
    { name: 'chunk overlap', method: 'POST', path: '/infra/ai/documents/chunk', body: json({ text: 'x', max_chars: 100, overlap_chars: 99 }), expect: [400] },
    { name: 'parse markdown', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: Buffer.from(`# Title\n\n${sentence}`).toString('base64'), content_type: 'text/markdown' } }), expect: [200] },
    { name: 'parse multipart', method: 'POST', path: '/infra/ai/documents/parse', body: upload, expect: [200] },
    { name: 'parse truncated png', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: 'iVBORw0KGgoAAAANSUhEUgAA', content_type: 'image/png' } }), expect: [400] },
    { name: 'parse docx bomb', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: bomb, content_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } }), expect: [413] },
    { name: 'parse unsupported', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: Buffer.from([0, 1, 2, 3]).toString('base64'), content_type: 'application/x-thing' } }), expect: [415] },
    { name: 'speech bytes', method: 'POST', path: '/v1/audio/speech', body: json({ model: 'local:espeak-ng', input: 'Soak test.', voice: 'alloy', response_format: 'wav' }), expect: [200] },
    { name: 'speech json', method: 'POST', path: '/infra/ai/audio/speech', body: json({ input: 'Soak test.', audio_format: 'mp3' }), expect: [200] },
    { name: 'speech bad voice', method: 'POST', path: '/v1/audio/speech', body: json({ model: 'local:espeak-ng', input: 'x', voice: 'nobody' }), expect: [400] },
    { name: 'transcription no model', method: 'POST', path: '/v1/audio/transcriptions', body: audioUpload, expect: [400, 404] },
    { name: 'translation native', method: 'POST', path: '/infra/ai/audio/translations', body: json({ base64: 'AAAA' }), expect: [400, 404] },
    { name: 'transcription native', method: 'POST', path: '/infra/ai/audio/transcriptions', body: json({ base64: 'AAAA' }), expect: [400, 404] },
    { name: 'translation upload', method: 'POST', path: '/v1/audio/translations', body: audioUpload, expect: [400, 404] },
    { name: 'images generate', method: 'POST', path: '/v1/images/generations', body: json({ prompt: 'a cat' }), expect: [400, 404] },
    { name: 'images native', method: 'POST', path: '/infra/ai/images/generations', body: json({ prompt: 'a cat' }), expect: [400, 404] },
    { name: 'images edit', method: 'POST', path: '/v1/images/edits', body: imageUpload, expect: [400, 404] },
    { name: 'images edit native', method: 'POST', path: '/infra/ai/images/edits', body: imageUpload, expect: [400, 404] },
    { name: 'images variation', method: 'POST', path: '/v1/images/variations', body: imageUpload, expect: [400, 404] },
    { name: 'images variation native', method: 'POST', path: '/infra/ai/images/variations', body: imageUpload, expect: [400, 404] },
    { name: 'realtime session', method: 'POST', path: '/v1/realtime/sessions', body: json({ ttl_seconds: 60 }), expect: [200] },
    { name: 'realtime native', method: 'POST', path: '/infra/ai/realtime/sessions', body: json({ ttl_seconds: 5 }), expect: [400] },
    { name: 'operations list', method: 'GET', path: '/infra/ai/operations', expect: [200] },
    { name: 'operation unknown', method: 'GET', path: '/infra/ai/operations/aiop_nothing', expect: [404] },
    { name: 'stored response unknown', method: 'GET', path: '/v1/responses/resp_nothing', expect: [404] },
    { name: 'stored response delete unknown', method: 'DELETE', path: '/v1/responses/resp_nothing', expect: [404] },
    { name: 'stored response cancel unknown', method: 'POST', path: '/v1/responses/resp_nothing/cancel', expect: [404] },
    { name: 'stored response items unknown', method: 'GET', path: '/v1/responses/resp_nothing/input_items', expect: [404] },
    { name: 'realtime client secret', method: 'POST', path: '/v1/realtime/client_secrets', body: json({}), expect: [200] },
    { name: 'cancel unknown (no body)', method: 'POST', path: '/infra/ai/operations/aiop_nothing/cancel', expect: [404] },
    { name: 'usage', method: 'GET', path: '/infra/ai/usage', expect: [200] },
    { name: 'buckets list', method: 'GET', path: '/infra/storage/buckets', expect: [200] },
    { name: 'bucket bad name', method: 'POST', path: '/infra/storage/buckets', body: json({ name: 'Not Valid!' }), expect: [400] },
    { name: 'objects list', method: 'GET', path: `/infra/storage/buckets/${bucket}/objects?prefix=soak/`, expect: [200] },
    { name: 'object put', method: 'PUT', path: object, headers: { 'content-type': 'text/plain' }, body: Buffer.from(sentence.repeat(50)), expect: [200] },
    { name: 'object get', method: 'GET', path: object, expect: [200, 404] },
    { name: 'object head', method: 'HEAD', path: object, expect: [200, 404] },
    { name: 'object delete', method: 'DELETE', path: object, expect: [200, 404] },
    { name: 'object bad key', method: 'GET', path: `/infra/storage/buckets/${bucket}/objects/a/../b`, expect: [400, 404] },
    { name: 'webhooks list', method: 'GET', path: '/infra/webhooks/endpoints', expect: [200] },
    { name: 'webhook private target', method: 'POST', path: '/infra/webhooks/endpoints', body: json({ url: 'http://10.0.0.1/hook', topics: ['*'] }), expect: [400] },
    { name: 'webhook delete unknown', method: 'DELETE', path: '/infra/webhooks/endpoints/whe_nothing', expect: [404] },
    { name: 'deliveries', method: 'GET', path: '/infra/webhooks/deliveries', expect: [200] },
    { name: 'deep JSON', method: 'POST', path: '/v1/embeddings', body: `{"input":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, expect: [400] },
    { name: 'bad JSON', method: 'POST', path: '/v1/embeddings', body: '{"input": ', expect: [400] },
    { name: 'scalar JSON', method: 'POST', path: '/v1/embeddings', body: '"just text"', expect: [400] },
    { name: 'path in capitals', method: 'POST', path: '/V1/Embeddings/', body: json({ model: local, input: 'case' }), expect: [200] },
    { name: 'no key', method: 'GET', path: '/v1/models', headers: { authorization: '' }, expect: [401] },
    { name: 'no key upload', method: 'PUT', path: object, headers: { authorization: '', 'content-type': 'text/plain' }, body: Buffer.alloc(1024 * 1024), expect: [401] },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', expect: [404] },
  ];
}

/**
 * A few minutes (SOAK_SECONDS, default 180) of mixed valid and invalid requests over every
 * route, six at a time, against the server in its own process: it must end healthy, with no 5xx,
 * and its resident memory within 1.5× of what it was after a 20-second warm-up of the same mix.
 */
export async function benchSoak(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: upstreamUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const server = await startBenchServer({
    OPENAI_COMPAT_UPSTREAMS: json([{ name: 'fake', base_url: `${upstreamUrl}/v1`, models: ['echo'] }]),
    // Minting sessions needs no upstream connection; nothing listens here.
    REALTIME_UPSTREAM_URL: 'ws://127.0.0.1:9/v1/realtime',
    // The soak's own pace is the point; per-key budgets would turn it into 429s.
  });
  const seconds = Number(process.env.SOAK_SECONDS ?? 180);
  try {
    const key = await createBenchKey();
    const authorization = `Bearer ${key}`;
    const created = await fetch(`${server.baseUrl}/infra/storage/buckets`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: json({ name: `soak-${Date.now()}` }) });
    const bucket = ((await created.json()) as { data: { id: string } }).data.id;
    const all = cases(bucket, 'fake:echo', await docxBomb());

    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const covered = new Set(all.map((entry) => `${entry.method.toLowerCase()} ${entry.path.split('?')[0]}`));
    const pattern = (path: string) => new RegExp(`^${path.replace(/\{key\}/, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const missing = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((method) => ![...covered].some((entry) => entry.startsWith(`${method} `) && pattern(path).test(entry.slice(method.length + 1)))).map((method) => `${method} ${path}`),
    );
    if (missing.length > 0) throw new Error(`the soak leaves routes out: ${missing.join(', ')}`);

    const statuses = new Map<string, number>();
    const unexpected = new Map<string, number>();
    let serverErrors = 0;
    const send = async (entry: Case) => {
      const body = typeof entry.body === 'function' ? entry.body() : entry.body;
      const headers: Record<string, string> = { authorization, ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}), ...entry.headers };
      if (headers.authorization === '') delete headers.authorization;
      const response = await fetch(`${server.baseUrl}${entry.path}`, { method: entry.method, headers, body: body as never }).catch(() => undefined);
      if (!response) {
        // A refused upload may be answered and closed before it is sent whole.
        if (entry.name === 'no key upload') return;
        serverErrors++;
        return;
      }
      await response.arrayBuffer().catch(() => undefined);
      const label = `${entry.name} ${response.status}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
      if (response.status >= 500) serverErrors++;
      if (!entry.expect.includes(response.status)) unexpected.set(label, (unexpected.get(label) ?? 0) + 1);
    };

    // A pass loads every model, then 20 s of the mix grow the heaps to their working size:
    // memory is measured from there, so growth after it is what would be a leak.
    const pid = server.child.pid!;
    for (const entry of all) await send(entry);
    const loadedMiB = await residentMiB(pid);
    const mix = async (until: number, count: () => void) =>
      Promise.all(
        Array.from({ length: 6 }, async (_, worker) => {
          for (let index = worker; Date.now() < until; index += 7) {
            await send(all[index % all.length]!);
            count();
          }
        }),
      );
    await mix(Date.now() + 20_000, () => {});
    const startMiB = await residentMiB(pid);
    let peakMiB = startMiB;
    const samples: number[] = [startMiB];
    const sampler = setInterval(() => {
      void residentMiB(pid).then((mib) => {
        peakMiB = Math.max(peakMiB, mib);
        samples.push(mib);
      });
    }, 5_000);

    let sent = 0;
    await mix(Date.now() + seconds * 1000, () => sent++);
    clearInterval(sampler);
    // Background work (operations, settlements) settles, then memory is read again.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const endMiB = await residentMiB(pid);
    const healthy = (await fetch(`${server.baseUrl}/healthz`)).status === 200 && (await fetch(`${server.baseUrl}/readyz`)).status === 200;

    process.stdout.write(
      `\n${sent} requests in ${seconds} s over ${all.length} cases (${Object.keys(document.paths).length} paths); ` +
        `5xx or failed: ${serverErrors}; unexpected statuses: ${[...unexpected].map(([label, count]) => `${label} ×${count}`).join(', ') || 'none'}\n` +
        `resident memory: ${loadedMiB} MiB with every model loaded, ${startMiB} MiB after a 20 s warm-up, peak ${peakMiB} MiB, ${endMiB} MiB at the end (${(endMiB / startMiB).toFixed(2)}×); healthy: ${healthy}\n` +
        `samples (MiB, every 5 s): ${samples.join(' ')}\n`,
    );
    if (serverErrors > 0 || !healthy || endMiB > startMiB * 1.5 || unexpected.size > 0) throw new Error('the soak failed');
    return [];
  } finally {
    await server.stop();
    await fake.stop();
  }
}

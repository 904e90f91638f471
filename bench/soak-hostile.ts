import JSZip from 'jszip';
import type { SoakCase } from './soak-cases.ts';

/** A DOCX that inflates to ~24 MB of XML: past the parser's limit. */
export async function docxBomb(): Promise<string> {
  const zip = new JSZip();
  zip.file('word/document.xml', `<w:document><w:body>${'<w:p><w:r><w:t>x</w:t></w:r></w:p>'.repeat(700_000)}</w:body></w:document>`);
  return Buffer.from(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' })).toString('base64');
}

/**
 * What no route documents but every one must survive: broken and hostile bodies, no key, odd
 * paths, documents built to exhaust the parser, inputs past the models' limits.
 */
export function hostileCases(bucket: string, bomb: string): SoakCase[] {
  const json = (value: unknown) => JSON.stringify(value);
  const object = `/infra/storage/buckets/${bucket}/objects/soak/item.txt`;
  const local = 'local:universal-sentence-encoder-lite';
  return [
    { name: 'deep JSON', method: 'POST', path: '/v1/embeddings', body: `{"input":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, expect: [400] },
    { name: 'bad JSON', method: 'POST', path: '/v1/embeddings', body: '{"input": ', expect: [400] },
    { name: 'scalar JSON', method: 'POST', path: '/v1/embeddings', body: '"just text"', expect: [400] },
    { name: 'path in capitals', method: 'POST', path: '/V1/Embeddings/', body: json({ model: local, input: 'case' }), expect: [200] },
    { name: 'no key', method: 'GET', path: '/v1/models', headers: { authorization: '' }, expect: [401] },
    { name: 'no key upload', method: 'PUT', path: object, headers: { authorization: '', 'content-type': 'text/plain' }, body: Buffer.alloc(1024 * 1024), expect: [401] },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', expect: [404] },
    { name: 'object key with ..', method: 'GET', path: `/infra/storage/buckets/${bucket}/objects/a/../b`, expect: [400, 404] },
    { name: 'webhook to a private address', method: 'POST', path: '/infra/webhooks/endpoints', body: json({ url: 'http://10.0.0.1/hook', topics: ['*'] }), expect: [400] },
    { name: 'parse truncated png', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: 'iVBORw0KGgoAAAANSUhEUgAA', content_type: 'image/png' } }), expect: [400] },
    {
      name: 'parse docx bomb',
      method: 'POST',
      path: '/infra/ai/documents/parse',
      body: json({ file: { data: bomb, content_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } }),
      expect: [413],
    },
    { name: 'parse unsupported type', method: 'POST', path: '/infra/ai/documents/parse', body: json({ file: { data: Buffer.from([0, 1, 2, 3]).toString('base64'), content_type: 'application/x-thing' } }), expect: [415] },
    { name: 'embeddings past the context', method: 'POST', path: '/v1/embeddings', body: json({ model: local, input: 'x'.repeat(200_000) }), expect: [400] },
    { name: 'chunk past the chunk limit', method: 'POST', path: '/infra/ai/documents/chunk', body: json({ text: 'word '.repeat(600_000), max_chars: 100, overlap_chars: 50 }), expect: [400] },
  ];
}

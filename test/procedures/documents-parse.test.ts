import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { createDocx, createReportPdf, createScannedPdf, createTextImage } from '../helpers/document-fixtures.ts';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

async function parse(bytes: Uint8Array | string, contentType: string, extra: object = {}) {
  const response = await fetch(`${server.baseUrl}/infra/ai/documents/parse`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ file: { data: Buffer.from(bytes).toString('base64'), content_type: contentType }, ...extra }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const typesAndTexts = (blocks: { type: string; text: string }[]) => blocks.map((block) => [block.type, block.text]);

describe('parse', () => {
  it('reads a two-page PDF: headings by type size, paragraphs, pages, boxes, title', async () => {
    const { status, body } = await parse(await createReportPdf(), 'application/pdf');
    expect(status).toBe(200);
    const { metadata, blocks } = body.data;
    expect(metadata).toMatchObject({ detected_type: 'pdf', pages: 2, title: 'Annual Report 2026', ocr_pages: [] });
    expect(typesAndTexts(blocks)).toEqual([
      ['heading', 'Annual Report'],
      ['heading', 'Introduction'],
      ['paragraph', 'The company grew steadily during the year. Customers in three new countries joined the platform.'],
      ['page_break', ''],
      ['heading', 'Results'],
      ['paragraph', 'Revenue rose by twelve percent compared with last year.'],
    ]);
    expect(blocks[0]).toMatchObject({ level: 1, page: 1 });
    expect(blocks[1]).toMatchObject({ level: 2, page: 1 });
    expect(blocks[4]).toMatchObject({ level: 2, page: 2 });
    const [left, top, right, bottom] = blocks[0].bbox;
    expect(left).toBeCloseTo(72, 0);
    expect(top).toBeLessThan(bottom);
    expect(right).toBeGreaterThan(left);
  });

  it('reads a scanned PDF page by OCR', async () => {
    const { body } = await parse(await createScannedPdf(['Scanned Invoice', 'Total due: 420 euros']), 'application/pdf');
    expect(body.data.metadata.ocr_pages).toEqual([1]);
    const text = body.data.blocks.map((block: { text: string }) => block.text).join(' ');
    expect(text).toContain('Scanned Invoice');
    expect(text).toContain('Total due: 420 euros');
    expect(body.data.blocks[0]).toMatchObject({ type: 'heading', page: 1 });
  });

  it('reads a DOCX with a list and a table', async () => {
    const { body } = await parse(await createDocx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(body.data.metadata.detected_type).toBe('docx');
    expect(typesAndTexts(body.data.blocks)).toEqual([
      ['heading', 'Project Plan'],
      ['paragraph', 'The plan has three steps.'],
      ['list_item', 'Gather requirements'],
      ['list_item', 'Build the service'],
      ['table', 'Step\tOwner\nBuild\tAda'],
    ]);
  });

  it('reads an HTML page, skipping scripts and navigation', async () => {
    const html = `<!doctype html><html><head><title>Docs</title><script>var x = 1;</script></head><body>
      <nav>Home | About</nav><h1>Guide</h1><p>Install the <b>package</b> first.</p>
      <ul><li>Step one</li><li>Step two</li></ul><pre><code>npm install</code></pre>
      <table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table><h2>Usage</h2><div>Call it.</div></body></html>`;
    const { body } = await parse(html, 'text/html');
    expect(body.data.metadata.title).toBe('Docs');
    expect(typesAndTexts(body.data.blocks)).toEqual([
      ['heading', 'Guide'],
      ['paragraph', 'Install the package first.'],
      ['list_item', 'Step one'],
      ['list_item', 'Step two'],
      ['code', 'npm install'],
      ['table', 'Key\tValue\na\t1'],
      ['heading', 'Usage'],
      ['paragraph', 'Call it.'],
    ]);
    expect(body.data.blocks[6].level).toBe(2);
  });

  it('reads Markdown and plain text', async () => {
    const markdown = await parse('# Title\n\nSome *text* here.\n\n- one\n- two\n\n```\ncode\n```\n', 'text/markdown');
    expect(typesAndTexts(markdown.body.data.blocks)).toEqual([
      ['heading', 'Title'],
      ['paragraph', 'Some text here.'],
      ['list_item', 'one'],
      ['list_item', 'two'],
      ['code', 'code'],
    ]);
    const text = await parse('First paragraph.\n\nSecond paragraph\nwith two lines.', 'text/plain');
    expect(typesAndTexts(text.body.data.blocks)).toEqual([
      ['paragraph', 'First paragraph.'],
      ['paragraph', 'Second paragraph\nwith two lines.'],
    ]);
  });

  it('reads a PNG of text by OCR', async () => {
    const { body } = await parse(await createTextImage(['Meeting Notes', 'Ship the release on Friday']), 'image/png');
    expect(body.data.metadata).toMatchObject({ detected_type: 'image', ocr_pages: [1] });
    const text = body.data.blocks.map((block: { text: string }) => block.text).join(' ');
    expect(text).toContain('Meeting Notes');
    expect(text).toContain('Ship the release on Friday');
  });

  it('answers 415 for unsupported types and 400 for damaged files, naming the file', async () => {
    const unsupported = await parse(Buffer.from('GIF89a....'), 'image/gif');
    expect(unsupported.status).toBe(415);
    expect(unsupported.body.error.message).toMatch(/^file: /);
    const corrupt = await parse(Buffer.from('%PDF-1.7\nthis is not really a pdf'), 'application/pdf');
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.message).toMatch(/^file: not a readable PDF/);
    const mislabelled = await parse(Buffer.from('just some words'), 'application/pdf');
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.body.error.message).toBe('file: declared application/pdf, but the bytes are not one');
    const notBase64 = await fetch(`${server.baseUrl}/infra/ai/documents/parse`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ file: { data: '!!!not base64!!!', content_type: 'application/pdf' } }),
    });
    expect(notBase64.status).toBe(400);
    expect(((await notBase64.json()) as any).error.message).toMatch(/^file\.data: must be base64/);
    const badDocx = await parse(Buffer.from('PK\u0003\u0004 word/ broken zip'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(badDocx.status).toBe(400);
    const neither = await fetch(`${server.baseUrl}/infra/ai/documents/parse`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(neither.status).toBe(400);
  });

  it('takes multipart uploads', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('# Uploaded\n\nBody text.')], { type: 'text/markdown' }), 'notes.md');
    const response = await fetch(`${server.baseUrl}/infra/ai/documents/parse`, { method: 'POST', headers: bearer(key), body: form });
    const body = (await response.json()) as any;
    expect(response.status).toBe(200);
    expect(body.data.metadata.title).toBe('Uploaded');
  });

  it("parses a stored object, refuses another project's, and runs async", async () => {
    const bucket = ((await (await fetch(`${server.baseUrl}/infra/storage/buckets`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'docs' }),
    })).json()) as any).data.id;
    await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket}/objects/guide.html`, {
      method: 'PUT',
      headers: { ...bearer(key), 'content-type': 'text/html' },
      body: '<h1>Stored</h1><p>From storage.</p>',
    });
    const post = (body: object, secret = key) =>
      fetch(`${server.baseUrl}/infra/ai/documents/parse`, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const stored = (await (await post({ storage_ref: { bucket_id: bucket, key: 'guide.html' } })).json()) as any;
    expect(stored.data.blocks[0]).toMatchObject({ type: 'heading', text: 'Stored' });

    const stranger = (await server.createKey()).secret;
    expect((await post({ storage_ref: { bucket_id: bucket, key: 'guide.html' } }, stranger)).status).toBe(404);

    const accepted = await post({ storage_ref: { bucket_id: bucket, key: 'guide.html' }, async: true });
    expect(accepted.status).toBe(202);
    const operation = ((await accepted.json()) as any).data;
    expect(operation.kind).toBe('documents.parse');
    const done = await waitForOperation(server.baseUrl, key, operation.id, ['succeeded', 'failed']);
    expect(done.result.blocks[1]).toMatchObject({ type: 'paragraph', text: 'From storage.' });
  });
});

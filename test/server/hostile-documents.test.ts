import { Canvas } from '@napi-rs/canvas';
import JSZip from 'jszip';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTextImage } from '../helpers/document-fixtures.ts';
import { waitForOperation } from '../helpers/operations.ts';

/**
 * Files a careless or hostile client sends to documents/parse: each is a clear 4xx naming the
 * file, and the server goes on answering everyone (the parser runs on the compute pool).
 */
let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer({ LOCAL_POOL_THREADS: '1', LOCAL_POOL_MAX_MEMORY_MB: '512' });
  key = (await server.createKey()).secret;
});
afterAll(() => server.close());

function parse(bytes: Uint8Array | string, contentType: string, extra: object = {}) {
  const data = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('base64');
  return fetch(`${server.baseUrl}/infra/ai/documents/parse`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ file: { data, content_type: contentType }, ...extra }),
  });
}

async function expectRefused(response: Response, status: number, message: RegExp) {
  const body = (await response.json()) as any;
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error.message).toMatch(message);
  expect(body.error.message).toMatch(/^file: /);
}

async function expectHealthy() {
  expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  const markdown = await parse(Buffer.from('# Still here\n\nParsing works.'), 'text/markdown');
  expect(markdown.status).toBe(200);
}

function truncated(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, Math.floor(bytes.length / 3));
}

function encodedImage(format: 'image/jpeg' | 'image/webp'): Uint8Array {
  const canvas = new Canvas(400, 200);
  const context = canvas.getContext('2d');
  context.fillStyle = 'white';
  context.fillRect(0, 0, 400, 200);
  context.fillStyle = 'black';
  context.font = '32px sans-serif';
  context.fillText('Truncated scan', 20, 100);
  return new Uint8Array(format === 'image/jpeg' ? canvas.toBuffer('image/jpeg') : canvas.toBuffer('image/webp'));
}

/** A little-endian TIFF whose strip points past the end of the file. */
function truncatedTiff(): Uint8Array {
  const bytes = Buffer.alloc(200);
  bytes.write('II', 0, 'latin1');
  bytes.writeUInt16LE(42, 2);
  bytes.writeUInt32LE(8, 4);
  const entries: [number, number, number, number][] = [
    [256, 3, 1, 1000], // width
    [257, 3, 1, 1000], // height
    [258, 3, 1, 8], // bits per sample
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 1], // black is zero
    [273, 4, 1, 100_000], // strip offset beyond the end
    [277, 3, 1, 1], // samples per pixel
    [278, 3, 1, 1000], // rows per strip
    [279, 4, 1, 1_000_000], // strip byte count
  ];
  bytes.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], index) => {
    const offset = 10 + index * 12;
    bytes.writeUInt16LE(tag, offset);
    bytes.writeUInt16LE(type, offset + 2);
    bytes.writeUInt32LE(count, offset + 4);
    if (type === 3) bytes.writeUInt16LE(value, offset + 8);
    else bytes.writeUInt32LE(value, offset + 8);
  });
  return bytes;
}

describe('damaged images', () => {
  it('a PNG cut after its signature is a 400, not a crash', async () => {
    await expectRefused(await parse('iVBORw0KGgoAAAANSUhEUgAA', 'image/png'), 400, /image/);
    await expectHealthy();
  });

  it('truncated PNG, JPEG, WebP and TIFF files are 400s naming the file', async () => {
    const png = await createTextImage(['Truncated scan']);
    for (const [bytes, type] of [
      [truncated(png), 'image/png'],
      [truncated(encodedImage('image/jpeg')), 'image/jpeg'],
      [truncated(encodedImage('image/webp')), 'image/webp'],
      [truncatedTiff(), 'image/tiff'],
    ] as const) {
      const response = await parse(bytes, type);
      expect([400, 413], `${type}: ${response.status}`).toContain(response.status);
      await expectRefused(response, response.status, /./);
    }
    await expectHealthy();
  }, 60_000);

  it('as an async operation, fails once (not retried as transient) and leaves the server up', async () => {
    const accepted = await parse('iVBORw0KGgoAAAANSUhEUgAA', 'image/png', { async: true });
    expect(accepted.status).toBe(202);
    const done = await waitForOperation(server.baseUrl, key, ((await accepted.json()) as any).data.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'bad_request' } });
    await expectHealthy();
  });

  it('refuses images with more pixels than OCR reads', async () => {
    // A PNG header that claims 20000 × 20000 pixels.
    const header = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const dimensions = Buffer.alloc(8);
    dimensions.writeUInt32BE(20_000, 0);
    dimensions.writeUInt32BE(20_000, 4);
    const png = Buffer.concat([header, dimensions, Buffer.from('0806000000', 'hex'), Buffer.alloc(64)]);
    await expectRefused(await parse(png, 'image/png'), 413, /20000×20000 image; OCR reads at most/);
  });
});

describe('archives and PDFs beyond the limits', () => {
  it('refuses a DOCX whose document inflates far beyond its size, before inflating it', async () => {
    const zip = new JSZip();
    zip.file('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>');
    const paragraph = '<w:p><w:r><w:t>bomb</w:t></w:r></w:p>';
    zip.file('word/document.xml', `<w:document><w:body>${paragraph.repeat(Math.ceil((50 * 1024 * 1024) / paragraph.length))}</w:body></w:document>`);
    const bomb = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await expectRefused(await parse(bomb, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'), 413, /inflates to \d+ bytes/);
    await expectHealthy();
  });

  it('renders a huge scanned page within the pixel limit instead of failing', async () => {
    const pdf = await PDFDocument.create();
    pdf.addPage([14_400, 14_400]);
    const response = await parse(await pdf.save(), 'application/pdf');
    const body = (await response.json()) as any;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.data.metadata).toMatchObject({ pages: 1, ocr_pages: [1] });
  }, 60_000);

  it('refuses a PDF with more pages than the limit', async () => {
    const pdf = await PDFDocument.create();
    for (let index = 0; index < 2001; index++) pdf.addPage([10, 10]);
    await expectRefused(await parse(await pdf.save(), 'application/pdf'), 413, /a PDF of 2001 pages; the limit is 2000/);
  }, 60_000);
});

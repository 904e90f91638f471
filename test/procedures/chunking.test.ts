import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBlocks } from '../../providers/local/documents/chunker.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';

const paragraph = (topic: string, sentences: number) =>
  Array.from({ length: sentences }, (_, index) => `The ${topic} sentence number ${index + 1} says something useful.`).join(' ');

describe('the chunker', () => {
  const text = [paragraph('first', 6), paragraph('second', 6), paragraph('third', 6)].join('\n\n');

  it('is deterministic, and offsets slice the source back into each chunk', () => {
    const first = chunkBlocks([{ text }], { maxChars: 400, overlapChars: 0 });
    const second = chunkBlocks([{ text }], { maxChars: 400, overlapChars: 0 });
    expect(second).toEqual(first);
    for (const chunk of first.chunks) {
      expect(first.source.slice(chunk.start, chunk.end)).toBe(chunk.text);
      expect(chunk.text.length).toBeLessThanOrEqual(400);
      expect(chunk.id).toMatch(/^chk_[0-9a-f]{24}$/);
    }
    expect(new Set(first.chunks.map((chunk) => chunk.id)).size).toBe(first.chunks.length);
  });

  it('prefers paragraph, then sentence, then word boundaries', () => {
    const { chunks } = chunkBlocks([{ text }], { maxChars: 400, overlapChars: 0 });
    // Each paragraph is ~330 characters: paragraphs fit, so every cut falls between them.
    expect(chunks.map((chunk) => chunk.text)).toEqual(text.split('\n\n'));

    const sentences = chunkBlocks([{ text: paragraph('long', 12) }], { maxChars: 200, overlapChars: 0 }).chunks;
    for (const chunk of sentences.slice(0, -1)) expect(chunk.text.endsWith('.')).toBe(true);

    const words = chunkBlocks([{ text: 'word '.repeat(100).trim() }], { maxChars: 100, overlapChars: 0 }).chunks;
    for (const chunk of words) expect(chunk.text).toMatch(/^word( word)*$/);
  });

  it('prefers block boundaries, and reports the blocks and pages each chunk spans', () => {
    const blocks = [
      { type: 'heading', text: 'Introduction', page: 1 },
      { type: 'paragraph', text: paragraph('intro', 3), page: 1 },
      { type: 'paragraph', text: paragraph('body', 3), page: 2 },
    ];
    const { source, chunks } = chunkBlocks(blocks, { maxChars: 260, overlapChars: 0 });
    expect(source).toBe(blocks.map((block) => block.text).join('\n\n'));
    expect(chunks[0]).toMatchObject({ blocks: [0, 1], pages: [1] });
    expect(chunks[1]).toMatchObject({ blocks: [2], pages: [2], text: blocks[2]!.text });
  });

  it('overlaps consecutive chunks, starting on a word', () => {
    const { source, chunks } = chunkBlocks([{ text: paragraph('overlap', 20) }], { maxChars: 300, overlapChars: 80 });
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1]!;
      const current = chunks[index]!;
      expect(current.start).toBeLessThan(previous.end);
      expect(previous.end - current.start).toBeLessThanOrEqual(80);
      expect(source[current.start - 1]).toMatch(/\s/);
    }
  });

  it('cuts hard only when a window has no boundary at all', () => {
    const { chunks } = chunkBlocks([{ text: 'x'.repeat(250) }], { maxChars: 100, overlapChars: 0 });
    expect(chunks.map((chunk) => chunk.text.length)).toEqual([100, 100, 50]);
  });
});

describe('POST /infra/ai/documents/chunk', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer();
    key = (await server.createKey()).secret;
  });
  afterAll(() => server.close());

  const post = async (body: object) => {
    const response = await fetch(`${server.baseUrl}/infra/ai/documents/chunk`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('chunks text and blocks', async () => {
    const text = paragraph('api', 30);
    const { status, body } = await post({ text, max_chars: 500, overlap_chars: 50 });
    expect(status).toBe(200);
    for (const chunk of body.data.chunks) expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    const blocks = await post({ blocks: [{ type: 'heading', text: 'Title', level: 1, page: 1 }, { text: paragraph('p', 2), page: 1 }] });
    expect(blocks.body.data.chunks[0].pages).toEqual([1]);
  });

  it.each([
    [{ text: 'x', max_chars: 99 }, 'max_chars'],
    [{ text: 'x', max_chars: 8001 }, 'max_chars'],
    [{ text: 'x', max_chars: 500, overlap_chars: 500 }, 'overlap_chars'],
    [{ text: 'x', overlap_chars: 4001, max_chars: 8000 }, 'overlap_chars'],
    [{ text: 'x', max_chars: 100, overlap_chars: 99 }, 'overlap_chars'],
    // A misspelt field is named, never ignored.
    [{ text: 'x', overlap: 50 }, 'overlap'],
    [{}, 'text'],
    [{ text: 'x', blocks: [{ text: 'y' }] }, 'text'],
    [{ blocks: [{ type: 'poem', text: 'y' }] }, 'blocks.0.type'],
  ])('%j answers 400 naming %s', async (body, field) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.error.message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
  });

  it('bounds the answer: a text that would make too many chunks is a 400, and the server stays light', async () => {
    const text = 'word '.repeat(1_800_000); // 9 MB
    const refused = await post({ text, max_chars: 100, overlap_chars: 50 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^max_chars: this text makes more than 20000 chunks/);
    const accepted = await post({ text: text.slice(0, 400_000), max_chars: 8000, overlap_chars: 4000 });
    expect(accepted.status).toBe(200);
    const output = accepted.body.data.chunks.reduce((sum: number, chunk: { text: string }) => sum + chunk.text.length, 0);
    expect(output).toBeLessThanOrEqual(4 * 400_000);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});

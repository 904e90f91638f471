import { afterAll, describe, expect, it } from 'vitest';
import { JsonThread } from '../../server/http/json-thread.ts';

const thread = new JsonThread();
afterAll(() => thread.close());

const parsed = (value: unknown) => thread.parse(Buffer.from(JSON.stringify(value)));

describe('the JSON thread', () => {
  it('gives back long strings whole, ASCII or not, wherever they sit', async () => {
    const ascii = 'plain words '.repeat(200_000);
    const accented = 'café déjà vu '.repeat(1_000);
    const astral = '🙂 emoji and 中文 '.repeat(1_000);
    const escaped = 'line\nbreak "quoted" \\ tab\t'.repeat(500);
    const value = { model: 'm', input: [ascii, 'short', accented], nested: { deeper: [{ text: astral }] }, escaped };
    expect(await parsed(value)).toEqual(value);
  });

  it('parses a document that is one long string', async () => {
    const text = 'x'.repeat(300_000);
    expect(await parsed(text)).toBe(text);
  });

  it('refuses a lone surrogate in a long string as a 400 naming its field', async () => {
    const bytes = Buffer.from(`{"input":"${'a'.repeat(1_000)}\\ud800"}`);
    await expect(thread.parse(bytes)).rejects.toMatchObject({ param: 'input', message: expect.stringMatching(/lone/) });
  });
});

import { describe, expect, it } from 'vitest';
import { GroupWriter } from '../../schema/db/group-writer.ts';

describe('GroupWriter (group commit)', () => {
  it('writes the items of one turn together, and those added during a write in the next one', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const writer = new GroupWriter<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((item) => `#${item}`);
    });
    const first = [1, 2, 3].map((item) => writer.add(item));
    await new Promise((resolve) => setImmediate(resolve));
    // The first write is running: these wait for the next one.
    const second = [4, 5].map((item) => writer.add(item));
    release();
    expect(await Promise.all([...first, ...second])).toEqual(['#1', '#2', '#3', '#4', '#5']);
    expect(writes).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('writes again, one by one, the items of a write that failed: only the bad one fails', async () => {
    const writes: number[][] = [];
    const writer = new GroupWriter<number, number>(async (items) => {
      writes.push(items);
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((item) => item * 2);
    });
    const results = await Promise.allSettled([12, 13, 14].map((item) => writer.add(item)));
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([24, 'unlucky', 28]);
    expect(writes).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('fails every item of a write at once when the database is away (no retry one by one)', async () => {
    let writes = 0;
    const writer = new GroupWriter<number, number>(async () => {
      writes++;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const results = await Promise.allSettled([1, 2, 3].map((item) => writer.add(item)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(writes).toBe(1);
  });

  it('caps the items of one write', async () => {
    const sizes: number[] = [];
    const writer = new GroupWriter<number, number>(async (items) => (sizes.push(items.length), items), { maxItems: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((item) => writer.add(item)));
    expect(sizes).toEqual([2, 2, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { fetchShape } from '../../jobs/operation-worker.ts';

describe('operation worker fetch shape', () => {
  it('lets exactly OPERATION_CONCURRENCY jobs run at once, in pairs where it can', () => {
    expect(fetchShape(1)).toEqual({ batchSize: 1, localConcurrency: 1 });
    expect(fetchShape(3)).toEqual({ batchSize: 1, localConcurrency: 3 });
    expect(fetchShape(8)).toEqual({ batchSize: 2, localConcurrency: 4 });
    for (let concurrency = 1; concurrency <= 1000; concurrency++) {
      const { batchSize, localConcurrency } = fetchShape(concurrency);
      expect(batchSize * localConcurrency).toBe(concurrency);
      expect(Number.isInteger(localConcurrency)).toBe(true);
    }
  });
});

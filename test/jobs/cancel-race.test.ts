import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { startHeldUpstreamServer } from '../helpers/held-upstream-server.ts';
import { raceCancelsAgainstCompletion } from '../helpers/cancel-race.ts';
import type { FakeOpenAi } from '../fakes/fake-openai.ts';

let fake: FakeOpenAi;
let server: TestServer;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, close } = await startHeldUpstreamServer({
    OPERATION_CONCURRENCY: '8',
    DATABASE_POOL_SIZE: '8',
    // The race and its checks make about six calls an operation.
    RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
  }));
});
afterAll(async () => {
  await close?.();
});

describe('cancel racing completion', () => {
  it('answers 200 only for operations that end cancelled with nothing stored or delivered, 409 only for ended ones', async () => {
    const { secret } = await server.createKey(['ai:read', 'ai:generate'], '100000');
    const { figures, violations } = await raceCancelsAgainstCompletion({
      baseUrl: server.baseUrl,
      key: secret,
      upstream: fake.held,
      model: 'fake:held',
      operations: 150,
      concurrency: 8,
    });
    console.log('cancel race:', JSON.stringify(figures));
    expect(violations).toEqual([]);
    expect(figures.cancelsWon + figures.conflicts).toBe(figures.operations);
    // Both sides won some races at the moment of completion, or the race proved nothing.
    expect(figures.conflicts).toBeGreaterThan(0);
    expect(figures.wonAfterAnswer).toBeGreaterThan(0);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type TestServer } from '../helpers/test-server.ts';
import { startHeldUpstreamServer } from '../helpers/held-upstream-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import type { FakeOpenAi } from '../fakes/fake-openai.ts';

let fake: FakeOpenAi;
let server: TestServer;
let close: () => Promise<void>;

// Four slots; a project's share is two (half, by default).
beforeAll(async () => ({ fake, server, close } = await startHeldUpstreamServer({ OPERATION_CONCURRENCY: '4' })));
afterAll(async () => close?.());

async function submit(secret: string, text: string): Promise<string> {
  const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake:held', messages: [{ role: 'user', content: text }], async: true }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

const arrivedTexts = (prefix: string) => fake.requests.filter((request) => JSON.stringify(request.body).includes(prefix)).length;

describe('operations are shared fairly between projects', () => {
  it("lets a project alone borrow every slot but one, and another project's operation takes that one at once, ahead of the backlog", async () => {
    const busy = (await server.createKey()).secret;
    const other = (await server.createKey()).secret;
    const backlog = [];
    for (let index = 0; index < 12; index++) backlog.push(await submit(busy, `backlog-${index}`));
    // Its share (2) and one borrowed slot: three run, the fourth slot stays free.
    await expect.poll(() => arrivedTexts('backlog-'), { timeout: 5_000 }).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(arrivedTexts('backlog-')).toBe(3);

    const submitted = Date.now();
    const newcomer = await submit(other, 'newcomer');
    await fake.held.arrival('newcomer');
    // Nine of the first project's operations queued before it, and none of its runs ended.
    expect(Date.now() - submitted).toBeLessThan(1_000);
    expect(arrivedTexts('backlog-')).toBe(3);

    fake.held.releaseAll();
    for (const id of [newcomer, ...backlog]) expect((await waitForOperation(server.baseUrl, id === newcomer ? other : busy, id, ['succeeded', 'failed'])).status).toBe('succeeded');
  });
});

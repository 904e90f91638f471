import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { setApiKeyLimits } from '../../schema/db/queries/api-keys.ts';
import { launchBrowser, openPage, screenshot, unreachableByKeyboard, viewports } from './browser.ts';

/**
 * The dashboard driven in headless Chromium against a real server: local models for the work,
 * a fake OpenAI-compatible upstream for a priced model (402) and a failing one (5xx). No
 * workers run here, so a queued operation stays queued until the dashboard cancels it.
 */
const greedyContinuation = ', there was a little girl named Lily. She loved to play outside in the park. One day,';

let fake: FakeOpenAi;
let server: TestServer;
let browser: Browser;
let page: Page;
let foreignRequests: string[];
let scriptErrors: string[];
let key: { secret: string; keyId: string };

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    RUN_WORKERS: 'false',
    LOCAL_LLAMA_THREADS: '1',
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([
      { name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [{ id: 'echo', input_per_million: '1000', output_per_million: '2000' }, 'broken'] },
    ]),
  });
  key = await server.createKey();
  browser = await launchBrowser();
  ({ page, foreignRequests, scriptErrors } = await openPage(browser, server.baseUrl, { width: 1440, height: 1000 }));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
});

/** Waits for what the page shows (bounded); model loads on first use take a few seconds. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 50 });
const card = (title: string) => page.locator(`section.card[data-card="${title}"]`);

async function go(hash: string) {
  await page.goto(`${server.baseUrl}/dashboard${hash}`);
}

async function signIn(secret: string) {
  await go('');
  await page.getByLabel('API key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await eventually(() => page.locator('nav[aria-label="Dashboard"]').isVisible()).toBe(true);
}

describe('the dashboard in a browser', () => {
  it('is served at /dashboard, and / leads there', async () => {
    const root = await fetch(`${server.baseUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard');
    const html = await fetch(`${server.baseUrl}/dashboard`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('signs in with an API key kept for the tab only, after showing a wrong key refused beside the field', async () => {
    await go('');
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('sk_live_00000000000000000000000000000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('#key-error').textContent()).toMatch(/^401 unauthorized: /);
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');

    await signIn(key.secret);
    expect(await page.locator('.key-id').textContent()).toBe(key.keyId);
    const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookies: document.cookie }));
    expect(stored).toEqual({ session: 1, local: 0, cookies: '' });
  });

  it('lists the catalog with every model and filters it like GET /infra/ai/models', async () => {
    await go('#/catalog');
    await eventually(() => page.locator('article.model').count()).toBe(7);
    const stories = page.locator('article.model[data-model="local:stories260K"]');
    expect(await stories.textContent()).toContain('context 2,048');
    expect(await page.locator('article.model[data-model="fake:echo"]').textContent()).toContain('1000 in / 2000 out per million tokens');
    await screenshot(page, 'catalog');

    await page.getByLabel('Capability').selectOption('embeddings');
    await page.getByRole('button', { name: 'Filter' }).click();
    await eventually(() => page.locator('article.model').count()).toBe(1);
    expect(await page.locator('article.model h2').textContent()).toBe('local:universal-sentence-encoder-lite');
    await page.getByLabel('Capability').selectOption('');
    await page.getByLabel('Provider').fill('fake');
    await page.getByRole('button', { name: 'Filter' }).click();
    await eventually(() => page.locator('article.model').count()).toBe(2);
  });

  it('streams a response token by token in Studio and shows the request as curl and TypeScript', async () => {
    await go('#/studio');
    const responses = card('Responses');
    await responses.getByLabel('Model').selectOption('local:stories260K');
    await responses.getByLabel('Max output tokens').fill('30');
    await responses.getByLabel('Temperature').fill('0');
    // The text grows while the stream runs: seen part-way before it is done.
    const partial = page.waitForFunction(() => {
      const output = document.querySelector('[data-card="Responses"] .stream-output');
      return output?.getAttribute('data-state') === 'streaming' && (output.textContent ?? '').length > 0;
    });
    await responses.getByRole('button', { name: 'Stream' }).click();
    await partial;
    await eventually(() => responses.locator('.stream-output').getAttribute('data-state')).toBe('done');
    expect(await responses.locator('.stream-output').textContent()).toBe(greedyContinuation);
    expect(Number(/(\d+) deltas/.exec((await responses.locator('.output .hint').textContent()) ?? '')?.[1])).toBeGreaterThan(10);

    const curl = await responses.locator('[data-snippet="curl"]').textContent();
    expect(curl).toContain(`curl -X POST '${server.baseUrl}/infra/ai/responses'`);
    expect(curl).toContain('"stream": true');
    expect(curl).toContain('Authorization: Bearer $API_KEY');
    expect(curl).not.toContain(key.secret);
    const typescript = await responses.locator('[data-snippet="typescript"]').textContent();
    expect(typescript).toContain('"max_output_tokens": 30');
    expect(typescript).toContain("method: 'POST'");
  });

  it('runs every other Studio card on the local models', async () => {
    await card('Chat').getByRole('button', { name: 'Send' }).click();
    await eventually(() => card('Chat').locator('.assistant').count()).toBe(1);

    await card('Embeddings').getByRole('button', { name: 'Embed' }).click();
    await eventually(() => card('Embeddings').locator('table.similarity tbody tr').count()).toBe(3);
    // Each input is identical to itself.
    expect(await card('Embeddings').locator('table.similarity tbody tr:first-child td').first().textContent()).toBe('1.000');

    await card('Rerank').getByRole('button', { name: 'Rerank' }).click();
    await eventually(() => card('Rerank').locator('li.score').count()).toBe(3);
    expect(await card('Rerank').locator('li.score .score-label').first().textContent()).toBe('Cats purr when they are content.');
    // A failed run shows its error alone, not under the previous ranking.
    await card('Rerank').locator('textarea[name="documents"]').fill('');
    await card('Rerank').getByRole('button', { name: 'Rerank' }).click();
    await eventually(() => card('Rerank').locator('.field-error, .error, [role="alert"]').count()).toBeGreaterThan(0);
    expect(await card('Rerank').locator('li.score').count()).toBe(0);

    await card('Moderation').getByRole('button', { name: 'Moderate' }).click();
    await eventually(() => card('Moderation').locator('li.score').count()).toBe(13);
    expect(await card('Moderation').locator('.output > p .badge').textContent()).toBe('flagged');

    await card('Document chunking').getByRole('button', { name: 'Chunk' }).click();
    await eventually(() => card('Document chunking').locator('mark.chunk').count()).toBeGreaterThan(2);
    expect(await card('Document chunking').locator('mark.overlap').count()).toBeGreaterThan(0);
    // The marks lie over the source text itself, nothing added or lost.
    expect(await card('Document chunking').locator('.chunk-source').textContent()).toBe(await card('Document chunking').locator('textarea[name="text"]').inputValue());

    await card('Document parse').getByLabel('File').setInputFiles({ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# Notes\n\nThe river rose.\n\n- Bridge closed\n') });
    await card('Document parse').getByRole('button', { name: 'Parse' }).click();
    await eventually(() => card('Document parse').locator('.blocks li').count()).toBe(3);
    expect(await card('Document parse').locator('[data-snippet="curl"]').textContent()).toContain("-F 'file=@notes.md'");
    // A long document's blocks scroll inside the card, at both widths.
    const long = Array.from({ length: 300 }, (_, index) => `Paragraph ${index + 1} of a long report, long enough to wrap on a phone.`).join('\n\n');
    await card('Document parse').getByLabel('File').setInputFiles({ name: 'report.md', mimeType: 'text/markdown', buffer: Buffer.from(long) });
    await card('Document parse').getByRole('button', { name: 'Parse' }).click();
    await eventually(() => card('Document parse').locator('.blocks li').count()).toBe(300);
    for (const viewport of Object.values(viewports)) {
      await page.setViewportSize(viewport);
      expect((await card('Document parse').boundingBox())!.height, `the card at ${viewport.width} px`).toBeLessThan(1_100);
      const blocks = card('Document parse').locator('.blocks-scroll');
      expect(await blocks.evaluate((element) => element.scrollHeight > element.clientHeight)).toBe(true);
    }
    await page.setViewportSize(viewports.wide);

    await card('Speech').getByRole('button', { name: 'Speak' }).click();
    await eventually(() => card('Speech').locator('audio').count()).toBe(1);
    expect(await card('Speech').locator('audio').evaluate((audio: HTMLAudioElement) => audio.src.startsWith('data:audio/mpeg;base64,'))).toBe(true);

    // No provider here serves these: shown, and disabled.
    expect(await card('Images').locator('.notice').textContent()).toBe('No provider on this server serves image generation.');
    expect(await card('Images').getByRole('button', { name: 'Generate' }).isDisabled()).toBe(true);
    await screenshot(page, 'studio');
  }, 90_000);

  it('shows a 400 beside the field it names, a 402 and a 5xx beside the button, each as the API said it', async () => {
    const responses = card('Responses');
    await responses.getByLabel('Max output tokens').fill('0');
    await responses.getByRole('button', { name: 'Stream' }).click();
    const fieldError = responses.locator('.field:has([name="max_output_tokens"]) .field-error');
    await eventually(() => fieldError.textContent()).toMatch(/^400 bad_request: max_output_tokens: /);
    expect(await responses.getByLabel('Max output tokens').getAttribute('aria-invalid')).toBe('true');
    await responses.getByLabel('Max output tokens').fill('30');

    await responses.getByLabel('Model').selectOption('fake:broken');
    await responses.getByRole('button', { name: 'Stream' }).click();
    await eventually(() => responses.locator('p.error').textContent()).toMatch(/^502 /);
    // The field error from before was cleared by the new attempt.
    expect(await fieldError.isHidden()).toBe(true);

    const poor = await server.createKey(undefined, '0.0001');
    const { page: poorPage } = await openPage(browser, server.baseUrl, { width: 1440, height: 1000 });
    await poorPage.goto(`${server.baseUrl}/dashboard`);
    await poorPage.getByLabel('API key').fill(poor.secret);
    await poorPage.getByRole('button', { name: 'Sign in' }).click();
    await poorPage.goto(`${server.baseUrl}/dashboard#/studio`);
    const poorCard = poorPage.locator('section.card[data-card="Chat"]');
    await poorCard.getByLabel('Model').selectOption('fake:echo');
    await poorCard.getByRole('button', { name: 'Send' }).click();
    await eventually(() => poorCard.locator('p.error').textContent()).toMatch(/^402 insufficient_quota: Insufficient tokens: this call to fake:echo may cost up to /);
    await poorPage.context().close();
  });

  it('shows a 429 with its retry time beside the control that was refused', async () => {
    const limited = await server.createKey(['ai:read']);
    await setApiKeyLimits(server.running.services.db, limited.keyId, { requestsPerMinute: 3 });
    const { page: limitedPage } = await openPage(browser, server.baseUrl, { width: 390, height: 844 });
    await limitedPage.goto(`${server.baseUrl}/dashboard`);
    await limitedPage.getByLabel('API key').fill(limited.secret);
    await limitedPage.getByRole('button', { name: 'Sign in' }).click();
    // Sign-in and the catalog's first load took two of the three requests.
    await eventually(() => limitedPage.locator('article.model').count()).toBeGreaterThan(0);
    const filter = limitedPage.getByRole('button', { name: 'Filter' });
    await filter.click();
    await eventually(() => limitedPage.locator('p.error').isVisible()).toBe(false);
    await filter.click();
    await eventually(() => limitedPage.locator('p.error').textContent()).toMatch(/^429 rate_limited: Rate limit reached: 3 requests per minute for this API key/);
    expect(await limitedPage.locator('p.error .error-meta').textContent()).toMatch(/^Retry after \d+ s · request req_\w+$/);
    await limitedPage.context().close();
  });

  it('queues a response as an operation, follows it to Operations, and cancels it there', async () => {
    await go('#/studio');
    const responses = card('Responses');
    await responses.getByRole('button', { name: 'Queue as operation' }).click();
    const link = responses.locator('.queued a');
    await eventually(() => link.count()).toBe(1);
    const operationId = (await link.textContent())!;
    expect(operationId).toMatch(/^aiop_/);
    expect(await responses.locator('[data-snippet="curl"]').textContent()).toContain('"async": true');

    await link.click();
    const row = page.locator(`tr[data-operation="${operationId}"]`);
    await eventually(() => row.locator('.badge').textContent()).toBe('queued');
    // Every column readable at both widths: each cell inside the page, its text not cut off.
    for (const viewport of Object.values(viewports)) {
      await page.setViewportSize(viewport);
      const cells = await row.locator('td').evaluateAll((tds) =>
        tds.map((td) => {
          const box = td.getBoundingClientRect();
          const badge = td.querySelector('.badge');
          return { right: box.right, clipped: td.scrollWidth > td.clientWidth + 1 || (badge !== null && badge.scrollWidth > badge.clientWidth + 1) };
        }),
      );
      expect(cells, `operations at ${viewport.width} px`).toHaveLength(5);
      for (const cell of cells) expect(cell, `operations at ${viewport.width} px`).toEqual({ right: expect.any(Number), clipped: false });
      expect(Math.max(...cells.map((cell) => cell.right)), `operations at ${viewport.width} px`).toBeLessThanOrEqual(viewport.width);
    }
    await page.setViewportSize(viewports.wide);
    const detail = page.locator('.operation-detail');
    await eventually(() => detail.locator('h2').textContent()).toBe(operationId);
    await screenshot(page, 'operations');

    await detail.getByRole('button', { name: 'Cancel operation' }).click();
    await eventually(() => detail.locator('.badge').textContent()).toBe('cancelled');
    expect(await row.locator('.badge').textContent()).toBe('cancelled');
    expect(await detail.getByRole('button', { name: 'Cancel operation' }).isDisabled()).toBe(true);

    await page.getByLabel('Status').selectOption('queued');
    await page.getByRole('button', { name: 'Filter' }).click();
    await eventually(() => page.locator('tbody tr').first().textContent()).toBe('No operations.');
    await screenshot(page, 'operations-cancelled');
  });

  it('sends a request from the API Console with its prefilled example and shows status, headers and timing', async () => {
    await go('#/console');
    const route = page.getByLabel('Route');
    await eventually(() => route.locator('option').count()).toBeGreaterThan(40);
    await route.selectOption('POST /infra/ai/embeddings');
    const body = JSON.parse(await page.getByLabel('JSON body').inputValue());
    expect(body).toEqual({ input: ['A cat sat on the mat.', 'A kitten rests on a rug.'] });
    // The description's Markdown code spans are code, not backticks.
    const description = page.locator('.hint.description');
    expect(await description.textContent()).not.toContain('`');
    expect(await description.locator('code').allTextContents()).toContain('ai:generate');
    await page.getByRole('button', { name: 'Send' }).click();
    const result = page.locator('.console-result');
    await eventually(() => result.locator('.status-line .badge').getAttribute('data-status')).toBe('200');
    expect(await result.locator('.status-line').textContent()).toMatch(/^200 OK in \d+ ms$/);
    expect(await result.locator('table.headers').textContent()).toContain('x-request-id');
    expect(JSON.parse((await result.locator('pre').textContent())!).data.data).toHaveLength(2);

    await page.getByLabel('JSON body').fill('{"input": []}');
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(() => result.locator('.status-line .badge').getAttribute('data-status')).toBe('400');
    expect(await page.locator('.field:has([name="body"]) .field-error').textContent()).toMatch(/^400 bad_request: input/);
    await screenshot(page, 'console');
  });

  it('puts a stored object into the body from Storage references and parses it', async () => {
    const headers = { authorization: `Bearer ${key.secret}` };
    const bucket = (await (await fetch(`${server.baseUrl}/infra/storage/buckets`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"name":"docs"}' })).json()) as any;
    await fetch(`${server.baseUrl}/infra/storage/buckets/${bucket.data.id}/objects/notes.md`, { method: 'PUT', headers: { ...headers, 'content-type': 'text/markdown' }, body: '# Stored\n\nFrom a bucket.\n' });

    await go('#/console');
    await eventually(() => page.locator('option[value="POST /infra/ai/documents/parse"]').count()).toBe(1);
    await page.getByLabel('Route').selectOption('POST /infra/ai/documents/parse');
    await page.getByLabel('JSON body').fill('{}');
    await page.locator('.storage-panel summary').click();
    await eventually(() => page.getByLabel('Bucket').locator(`option[value="${bucket.data.id}"]`).count()).toBe(1);
    await page.getByLabel('Object key').fill('notes.md');
    await page.getByRole('button', { name: 'Insert as storage_ref' }).click();
    expect(JSON.parse(await page.getByLabel('JSON body').inputValue())).toEqual({ storage_ref: { bucket_id: bucket.data.id, key: 'notes.md' } });
    await page.getByRole('button', { name: 'Send' }).click();
    const result = page.locator('.console-result');
    await eventually(() => result.locator('.status-line .badge').getAttribute('data-status')).toBe('200');
    expect(JSON.parse((await result.locator('pre').textContent())!).data.blocks).toEqual([
      { type: 'heading', text: 'Stored', level: 1 },
      { type: 'paragraph', text: 'From a bucket.' },
    ]);
    await screenshot(page, 'console-storage');
  });

  it('shows usage: balance, limits, per-model chart and recent calls, and they change with a new call', async () => {
    await go('#/usage');
    // Charges land in batches, and the page polls: earlier tests' calls may still be arriving, so
    // count only this test's primitive, once the earlier moderation call is on the page.
    const moderationBar = page.locator('.bars li[data-model="local:moderation-offline"] .bar-value');
    const moderationRows = page.locator('table.records tbody tr', { hasText: 'local:moderation-offline' });
    await eventually(() => page.locator('.bars li[data-model="local:stories260K"]').count()).toBe(1);
    await eventually(() => moderationBar.textContent()).toBe('1 call · 0 tokens');
    const before = await moderationRows.count();
    expect(await page.locator('.stat').nth(1).textContent()).toContain('600');

    await go('#/console');
    await page.getByLabel('Route').selectOption('POST /infra/ai/moderations');
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(() => page.locator('.console-result .status-line .badge').getAttribute('data-status')).toBe('200');

    await go('#/usage');
    await eventually(() => moderationRows.count()).toBe(before + 1);
    expect(await moderationBar.textContent()).toBe('2 calls · 0 tokens');
    await screenshot(page, 'usage');
  });

  it('reaches every control of every page with the keyboard', async () => {
    for (const hash of ['#/catalog', '#/studio', '#/operations', '#/console', '#/usage']) {
      await go(hash);
      await page.waitForLoadState('networkidle');
      expect(await unreachableByKeyboard(page), hash).toEqual([]);
    }
  });

  it('shows what a read-only key may not do as disabled, saying which scope it needs', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    const readOnly = await server.createKey(['ai:read']);
    await signIn(readOnly.secret);
    await go('#/studio');
    const stream = card('Responses').getByRole('button', { name: 'Stream' });
    await eventually(() => stream.isDisabled()).toBe(true);
    expect(await card('Responses').locator('.scope-note').first().textContent()).toBe('Needs the ai:generate scope');
    await screenshot(page, 'read-only-studio');
    await go('#/console');
    await eventually(() => page.locator('option[value="POST /infra/ai/responses"]').getAttribute('disabled')).toBe('');
    expect(await page.locator('option[value="POST /infra/ai/responses"]').textContent()).toBe('POST /infra/ai/responses (needs ai:generate)');
  });

  it('fetched nothing from any other origin and threw no script error', () => {
    expect(foreignRequests).toEqual([]);
    expect(scriptErrors).toEqual([]);
  });
});

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored: the screenshots each run writes, to be looked at. */
export const screenshotDir = path.join(repoRoot, 'test-output', 'dashboard');

export const viewports = { wide: { width: 1440, height: 1000 }, narrow: { width: 390, height: 844 } } as const;

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath });
}

/**
 * A page that fails the test on any script error, and records every request that left the
 * server's origin (there must be none: the dashboard works offline).
 */
export async function openPage(browser: Browser, baseUrl: string, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const foreignRequests: string[] = [];
  const scriptErrors: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
  });
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  return { page, foreignRequests, scriptErrors };
}

/** Both widths of the current page, full length. */
export async function screenshot(page: Page, name: string): Promise<void> {
  for (const [label, viewport] of Object.entries(viewports)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${viewport.width}.png`), fullPage: true });
    // Nothing may be wider than the window: a horizontal scrollbar on the page means broken layout.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} overflows sideways at ${label} width`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize(viewports.wide);
}

/**
 * Presses Tab through the page and returns the interactive elements (visible and enabled) that
 * focus never reached.
 */
export async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const selector = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex="0"]';
    const visible = [...document.querySelectorAll<HTMLElement>(selector)].filter((element) => element.getClientRects().length > 0);
    visible.forEach((element, index) => (element.dataset.keyboardStop = String(index)));
    (document.activeElement as HTMLElement | null)?.blur();
    return visible.length;
  });
  const reached = new Set<string>();
  for (let press = 0; press < count + 5; press++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.keyboardStop);
    if (stop !== undefined) reached.add(stop);
  }
  return page.evaluate(
    (reachedStops) =>
      [...document.querySelectorAll<HTMLElement>('[data-keyboard-stop]')]
        .filter((element) => !reachedStops.includes(element.dataset.keyboardStop!))
        .map((element) => `${element.tagName.toLowerCase()} ${element.getAttribute('name') ?? element.textContent?.trim().slice(0, 40)}`),
    [...reached],
  );
}

import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../admin/browser.ts';
import { useToolport } from '../support/toolport.ts';

const available = chromiumAvailable;
if (!available) console.warn('docs-browser.test.ts skipped: no /usr/bin/chromium (apt-get install chromium)');

/**
 * /docs in a real browser: the page renders the listener's OpenAPI document
 * with every route in it, loads nothing from outside the listener (no CDN,
 * no fonts, no Scalar services), and breaks none of its own CSP rules.
 * The screenshot lands in test-results/docs.png.
 */
describe.skipIf(!available)('/docs in headless Chromium', () => {
  const t = useToolport('pglite');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every route of the document from the listener alone, and is screenshotted', async () => {
    const base = t.app.urls.finance!;
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const outside: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(base) && !/^(data|blob):/.test(url)) outside.push(url);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && !/favicon/.test(message.location().url)) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${base}/docs`);
    await page.getByText('Call a tool').first().waitFor({ timeout: 30_000 });
    await page.getByText('Change a server').first().waitFor({ timeout: 10_000 });
    // The sidebar comes first; the document itself is rendered after it.
    await page.getByText('Toolport: server "finance"').first().waitFor({ timeout: 30_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (the rendered text), not the DOM property
    const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    const missing: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        if (!text.includes(`${method.toUpperCase()} ${path}`)) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    expect(text).toContain('Toolport: server "finance"');
    mkdirSync('test-results', { recursive: true });
    const shot = await page.screenshot({ path: 'test-results/docs.png' });
    expect(shot.length).toBeGreaterThan(10_000);
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

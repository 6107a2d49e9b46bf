import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { TEST_DATABASE_URL } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { chromiumAvailable, expectAccessible, launchBrowser, openPage, type PageProblems, screenshot } from './browser.ts';

if (!chromiumAvailable) console.warn('ui-browser.test.ts skipped: no /usr/bin/chromium (apt-get install chromium)');

/** On PostgreSQL (TEST_DATABASE_URL, as CI runs) the SQL edit is made with the real psql; on PGlite through the driver. */
const BACKEND = TEST_DATABASE_URL ? 'postgres' : 'pglite';
const PSQL = '/usr/bin/psql';
/** A 1×1 PNG the outside API serves, for an image result. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * The admin UI in headless Chromium, as an operator uses it, on the gateway:
 * sign in; create a server; register an `http` tool through the form (its
 * API: a real HTTP server on 127.0.0.1); try it; edit its description; the
 * diff; roll back; a change made in SQL appears without a reload; a bad key
 * is refused; a list-only key does not get the keys page. axe-core on every
 * page (serious or critical violations fail), and no page error, CSP
 * violation or request to anywhere but the server. Screenshots land in
 * test-results/ui/.
 */
describe.skipIf(!chromiumAvailable)('admin UI in headless Chromium', () => {
  // `*`: servers created later are served too (on the gateway: the new server has no port).
  const t = useToolport(BACKEND, {
    ...KEYED_ENV,
    TOOLPORT_SERVERS: 'finance:0,utility:0,*',
    TOOLPORT_GATEWAY_PORT: '0',
    TOOLPORT_HTTP_ALLOW: '127.0.0.1/32',
    TOOLPORT_CHANGE_POLL_MS: '100',
  });
  let browser: Browser;
  let api: Server;
  let apiUrl: string;
  let page: Page;
  let seen: PageProblems;
  const base = () => t.app.gatewayUrl!;

  beforeAll(async () => {
    browser = await launchBrowser();
    // The outside API the http tool calls: GET /orders/<id> → JSON.
    api = createServer((request, response) => {
      if (request.url === '/pixel.png') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(PIXEL);
        return;
      }
      const id = /^\/orders\/([^/?]+)/.exec(request.url ?? '')?.[1];
      response.writeHead(id ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(id ? { order: decodeURIComponent(id), status: 'shipped' } : { error: 'no such route' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const opened = await openPage(browser, base());
    page = opened.page;
    seen = opened;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => api?.close(resolve));
  });

  /** An SQL statement as an operator runs it: psql against the database when there is a server to connect to. */
  async function sql(statement: string) {
    if (t.db.url && existsSync(PSQL)) execFileSync(PSQL, [t.db.url, '-v', 'ON_ERROR_STOP=1', '-qc', statement]);
    else await t.db.database.query(statement);
  }

  /** Each page: accessible, screenshotted, and clean so far. */
  async function checkPage(name: string) {
    await expectAccessible(page, name);
    await screenshot(page, name);
    expect(seen.problems, `${name}: page errors`).toEqual([]);
    expect(seen.outside, `${name}: requests outside the server`).toEqual([]);
  }

  async function signIn(credential: string) {
    await page.goto(`${base()}/ui#/sign-in`);
    await page.getByLabel('API key or admin token').fill(credential);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('refuses a bad key, beside the field', async () => {
    await signIn('tp_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    await page.getByText('Not a valid API key or admin token.').waitFor();
    expect(await page.getByLabel('API key or admin token').getAttribute('aria-invalid')).toBe('true');
    await checkPage('sign-in');
  });

  it('signs in with the admin token and lists the servers with health and tool counts', async () => {
    await signIn(ADMIN_TOKEN);
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    const finance = page.locator('main tbody tr', { hasText: 'finance' }).first();
    await finance.getByText('ok').waitFor();
    expect(await finance.locator('td').nth(3).textContent()).toBe('3');
    await checkPage('servers');
  });

  it('creates a server through the form', async () => {
    await page.getByRole('link', { name: 'New server' }).click();
    await page.getByRole('heading', { name: 'New server' }).waitFor();
    await page.getByLabel('Id').fill('orders');
    await page.getByLabel('Name').fill('Orders');
    await checkPage('server-form');
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.locator('main tbody tr', { hasText: 'Orders' }).waitFor();
    const { rows } = await t.db.database.query("select name, port from servers where id = 'orders'");
    expect(rows).toEqual([{ name: 'Orders', port: null }]);
    // A servers row changed in psql shows on the open page by its `servers` event (the page no longer polls).
    await sql("UPDATE servers SET name = 'Orders (psql)' WHERE id = 'orders'");
    await page.locator('main tbody tr', { hasText: 'Orders (psql)' }).waitFor({ timeout: 2000 });
    await sql("UPDATE servers SET name = 'Orders' WHERE id = 'orders'");
    await page
      .locator('main tbody tr', { hasText: /^(?!.*psql).*Orders/ })
      .first()
      .waitFor({ timeout: 2000 });
  });

  it('registers an http tool through the kind form, and tries it', async () => {
    await page.goto(`${base()}/ui#/servers/orders/tools/new`);
    await page.getByRole('heading', { name: 'New tool on orders' }).waitFor();
    await page.getByLabel('Name (required)').fill('get_order');
    await page.getByLabel('Description (required)').fill('Look up an order');
    await page.getByLabel('Handler', { exact: true }).selectOption('http');
    await page.getByLabel('url (required)').fill(`${apiUrl}/orders/{order_id}`);
    await page.getByLabel('method').selectOption('GET');
    await page
      .getByLabel('Input schema (JSON Schema)')
      .fill(JSON.stringify({ type: 'object', properties: { order_id: { type: 'string', description: 'The order' } }, required: ['order_id'] }, null, 2));
    await checkPage('tool-form');
    await page.getByRole('button', { name: 'Create tool' }).click();
    await page.getByRole('heading', { name: 'Tool get_order' }).waitFor();
    await page.locator('dl.props').getByText('available').first().waitFor();
    await checkPage('tool');

    await page.locator('nav.tabs').getByRole('link', { name: 'Try it' }).click();
    await page.getByRole('heading', { name: 'Try get_order' }).waitFor();
    await page.getByLabel('order_id (required)').fill('A-17');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await page.getByRole('heading', { name: 'Result' }).waitFor();
    await page.locator('main').getByText('"shipped"').first().waitFor();
    await checkPage('try-it');
  });

  it('shows an image result as an image', async () => {
    const created = await fetch(`${base()}/orders/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'get_pixel', description: 'A pixel', handler: 'http', config: { method: 'GET', url: `${apiUrl}/pixel.png` } }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${base()}/ui#/servers/orders/tools/get_pixel/try`);
    await page.getByRole('heading', { name: 'Try get_pixel' }).waitFor();
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    const image = page.locator('img.result');
    await image.waitFor();
    expect(await image.getAttribute('src')).toBe(`data:image/png;base64,${PIXEL.toString('base64')}`);
    expect(await image.getAttribute('alt')).toMatch(/get_pixel/);
    expect(await image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
  });

  it('edits the description, shows the diff side by side, and rolls back', async () => {
    await page.goto(`${base()}/ui#/servers/orders/tools/get_order/edit`);
    await page.getByRole('heading', { name: 'Edit tool get_order' }).waitFor();
    await page.getByLabel('Description (required)').fill('Look up an order by its id');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Tool get_order' }).waitFor();
    await page.locator('dl.props').getByText('Look up an order by its id').waitFor();

    await page.locator('nav.tabs').getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History of get_order' }).waitFor();
    const diff = page.locator('.diff');
    await diff.getByText('Look up an order by its id').waitFor();
    expect(await diff.locator('.line.del', { hasText: '"Look up an order"' }).count()).toBeGreaterThan(0);
    expect(await diff.locator('.line.add', { hasText: 'Look up an order by its id' }).count()).toBeGreaterThan(0);
    await checkPage('history');

    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Roll back to version 1' }).click();
    await page.getByText(/Rolled back to version 1/).waitFor();
    const { rows } = await t.db.database.query("select description, version from tools where server_id = 'orders' and name = 'get_order'");
    expect(rows).toEqual([{ description: 'Look up an order', version: 3 }]);
  });

  it('shows a change made in SQL without a reload', async () => {
    await page.goto(`${base()}/ui#/servers/orders/tools`);
    await page.getByRole('heading', { name: 'Tools of orders' }).waitFor();
    await page.locator('main tbody tr', { hasText: 'get_order' }).waitFor();
    await checkPage('tools');
    await sql("UPDATE tools SET description = 'Edited in psql' WHERE server_id = 'orders' AND name = 'get_order'");
    await page.locator('main tbody tr', { hasText: 'Edited in psql' }).waitFor({ timeout: 5000 });
    await sql(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('orders', 'list_orders', 'Added in psql', '{"type":"object"}', 'get_time')`,
    );
    await page.locator('main tbody tr', { hasText: 'list_orders' }).waitFor({ timeout: 5000 });
  });

  it('shows the keys, data sources, upstreams and audit pages to an admin', async () => {
    for (const [hash, heading, name] of [
      ['/keys', 'API keys', 'keys'],
      ['/data-sources', 'Data sources', 'data-sources'],
      ['/upstreams', 'Upstreams', 'upstreams'],
      ['/audit', 'Audit log', 'audit'],
    ] as const) {
      await page.goto(`${base()}/ui#${hash}`);
      await page.getByRole('heading', { name: heading }).waitFor();
      await page.waitForFunction(() => !(globalThis as any).document.querySelector('main').textContent.includes('Loading'));
      await checkPage(name);
    }
    await page.goto(`${base()}/ui#/audit?action=ui.sign-in`);
    await page.locator('main tbody tr', { hasText: 'ui.sign-in' }).first().waitFor();
  });

  it('signs out; a list-only key sees its server but not the keys page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Toolport' }).waitFor();
    const lister = await createKey(t.app, 'ui-lister', ['finance:list']);
    await signIn(lister.key);
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    expect(await page.locator('#nav').getByRole('link', { name: 'Keys' }).count()).toBe(0);
    await page.locator('main tbody tr', { hasText: 'finance' }).waitFor();
    expect(await page.locator('main tbody tr', { hasText: 'orders' }).count()).toBe(0);
    await page.goto(`${base()}/ui#/keys`);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.locator('main [role=alert]').getByText(/admin/).waitFor();
    expect(await page.locator('main table').count()).toBe(0);
    await checkPage('keys-refused');
    await page.goto(`${base()}/ui#/servers/finance/tools`);
    await page.locator('main tbody tr', { hasText: 'get_stock_price' }).waitFor();
    expect(await page.getByRole('link', { name: 'New tool' }).count()).toBe(0);
  });
});

/**
 * The quick start: `npm start` with no token on 127.0.0.1 (local-open), no
 * gateway. Each listener serves the UI for its own server; a browser on this
 * machine is let in without signing in, and another server's tools are a
 * link to that server's own /ui.
 */
describe.skipIf(!chromiumAvailable)('admin UI on a listener, local-open', () => {
  const t = useToolport('pglite');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('opens without signing in, lists its own tools, and links to the other server on its port', async () => {
    const base = t.app.urls.finance!;
    const { page, problems, outside } = await openPage(browser, base);
    await page.goto(`${base}/ui`);
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    await page.locator('#who').getByText('(loopback, no credential)').waitFor();
    const utility = page.locator('main tbody tr', { hasText: 'utility' });
    const href = await utility.getByRole('link', { name: /Tools/ }).getAttribute('href');
    expect(href).toBe(`${t.app.urls.utility}/ui#/servers/utility/tools`);
    await page.locator('main tbody tr', { hasText: 'finance' }).getByRole('link', { name: 'Tools of finance' }).click();
    await page.locator('main tbody tr', { hasText: 'get_stock_price' }).waitFor();
    await expectAccessible(page, 'listener tools');
    await screenshot(page, 'listener-tools');
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
  });
});

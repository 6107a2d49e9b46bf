import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, auditOf, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { backends } from '../support/database.ts';
import { json, startTestToolport, useToolport } from '../support/toolport.ts';

/**
 * The admin UI's sign-in (/ui/session) and the session cookie on the REST
 * routes, with real listeners and fetch: what the cookie may do, what it
 * may not (no CSRF token, another site's page, a revoked key, a changed
 * admin token, after sign-out), and that nothing secret is stored or sent back.
 */
const COOKIE = /^toolport_ui=(tpui_[A-Za-z0-9_-]{43});/;

async function signIn(base: string, credential: string) {
  const response = await fetch(`${base}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credential }) });
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = await json(response);
  return { status: response.status, setCookie, cookie: COOKIE.exec(setCookie)?.[0].slice(0, -1), body };
}

describe.each(backends)('admin UI sessions (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0' });

  it('the admin token signs in: an HttpOnly SameSite=Strict cookie that reads and, with the CSRF token, writes', async () => {
    const base = t.app.gatewayUrl!;
    const session = await signIn(base, ADMIN_TOKEN);
    expect(session.status).toBe(201);
    expect(session.setCookie).toMatch(/HttpOnly/);
    expect(session.setCookie).toMatch(/SameSite=Strict/);
    expect(session.setCookie).toMatch(/Path=\//);
    expect(session.body).toMatchObject({ signedIn: true, mode: 'gateway', principal: { kind: 'admin-token', scopes: ['admin'] } });
    expect(JSON.stringify(session.body)).not.toContain(ADMIN_TOKEN);
    const headers = { cookie: session.cookie! };

    const keys = await fetch(`${base}/keys`, { headers });
    expect(keys.status).toBe(200);
    const finance = await fetch(`${base}/finance/tools`, { headers });
    expect(finance.status).toBe(200);
    expect((await fetch(`${base}/ui/session`, { headers }).then(json)).csrf).toBe(session.body.csrf);

    const body = JSON.stringify({ id: 'ui-made', port: null });
    const withoutCsrf = await fetch(`${base}/servers`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    expect(withoutCsrf.status).toBe(403);
    expect((await json(withoutCsrf)).error.message).toMatch(/x-csrf-token/i);
    const wrongCsrf = await fetch(`${base}/servers`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-csrf-token': 'nope' },
      body,
    });
    expect(wrongCsrf.status).toBe(403);
    expect((await fetch(`${base}/servers/ui-made`, { headers })).status).toBe(404);

    const made = await fetch(`${base}/servers`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-csrf-token': session.body.csrf },
      body,
    });
    expect(made.status).toBe(201);
    const entries = await auditOf(t.app, 'admin-token');
    expect(entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['ui.sign-in', 'server.create']));
  });

  it('behind a TLS-terminating proxy (X-Forwarded-Proto: https) the cookie is Secure; over plain HTTP it is not', async () => {
    const base = t.app.gatewayUrl!;
    const proxied = await fetch(`${base}/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ credential: ADMIN_TOKEN }),
    });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);
    expect((await signIn(base, ADMIN_TOKEN)).setCookie).not.toMatch(/Secure/);
  });

  it('the database keeps a digest of the session token only, never the token or the credential', async () => {
    const session = await signIn(t.app.gatewayUrl!, ADMIN_TOKEN);
    const token = session.cookie!.split('=')[1]!;
    const { rows } = await t.db.database.query('select * from ui_sessions');
    const text = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(text).not.toContain(token);
    expect(text).not.toContain(ADMIN_TOKEN);
  });

  it('a bad key, a malformed body and an empty credential are refused, and nothing is stored', async () => {
    const base = t.app.gatewayUrl!;
    const before = (await t.db.database.query('select count(*)::int as n from ui_sessions')).rows[0] as { n: number };
    const bad = await signIn(base, 'tp_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(bad.status).toBe(401);
    expect(bad.setCookie).toBe('');
    const empty = await signIn(base, '');
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].path).toBe('/credential');
    const notJson = await fetch(`${base}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    const after = (await t.db.database.query('select count(*)::int as n from ui_sessions')).rows[0] as { n: number };
    expect(after.n).toBe(before.n);
    expect((await auditOf(t.app, 'anonymous')).some((entry) => entry.action === 'ui.sign-in' && entry.outcome === 'unauthorized')).toBe(true);
  });

  it("a key's session has the key's scopes, on the gateway and on the server's own port, and ends when the key is revoked", async () => {
    const base = t.app.urls.finance!;
    const lister = await createKey(t.app, 'ui-lister', ['finance:list']);
    const session = await signIn(t.app.gatewayUrl!, lister.key);
    expect(session.body.principal).toMatchObject({ kind: 'key', name: 'ui-lister', scopes: ['finance:list'] });
    const headers = { cookie: session.cookie! };
    expect((await fetch(`${base}/tools`, { headers })).status).toBe(200);
    expect((await fetch(`${t.app.gatewayUrl}/finance/tools`, { headers })).status).toBe(200);
    expect((await fetch(`${t.app.gatewayUrl}/utility/tools`, { headers })).status).toBe(403);
    const keys = await fetch(`${base}/keys`, { headers });
    expect(keys.status).toBe(403);
    expect((await json(keys)).error.message).toMatch(/admin/);
    const call = await fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-csrf-token': session.body.csrf },
      body: JSON.stringify({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } }),
    });
    expect(call.status).toBe(403);

    await t.app.toolport.access.keys.revoke('admin-token', lister.id);
    const revoked = await fetch(`${base}/tools`, { headers });
    expect(revoked.status).toBe(401);
    expect((await json(revoked)).error.message).toMatch(/revoked/);
  });

  it('sign-out needs the CSRF token, then the cookie is refused everywhere', async () => {
    const base = t.app.gatewayUrl!;
    const session = await signIn(base, ADMIN_TOKEN);
    const headers = { cookie: session.cookie! };
    expect((await fetch(`${base}/ui/session`, { method: 'DELETE', headers })).status).toBe(403);
    expect((await fetch(`${base}/keys`, { headers })).status).toBe(200);
    const out = await fetch(`${base}/ui/session`, { method: 'DELETE', headers: { ...headers, 'x-csrf-token': session.body.csrf } });
    expect(await json(out)).toEqual({ signedOut: true });
    expect(out.headers.get('set-cookie')).toMatch(/toolport_ui=;.*Max-Age=0/);
    expect((await fetch(`${base}/keys`, { headers })).status).toBe(401);
    expect(await fetch(`${base}/ui/session`, { headers }).then(json)).toMatchObject({ signedIn: false, principal: null });
  });

  it("another site's page cannot sign in or use the cookie (Origin), and a forged or foreign cookie is refused", async () => {
    const base = t.app.gatewayUrl!;
    const foreign = await fetch(`${base}/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ credential: ADMIN_TOKEN }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const session = await signIn(base, ADMIN_TOKEN);
    const cross = await fetch(`${base}/keys`, { headers: { cookie: session.cookie!, origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    for (const cookie of ['toolport_ui=tpui_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'toolport_ui=garbage']) {
      const forged = await fetch(`${base}/keys`, { headers: { cookie } });
      expect(forged.status).toBe(401);
    }
    // An Authorization header wins over the cookie: a wrong one is not rescued by a good session.
    const both = await fetch(`${base}/keys`, { headers: { cookie: session.cookie!, authorization: 'Bearer wrong' } });
    expect(both.status).toBe(401);
  });

  it('the pages are served with a strict CSP from this process; /ui is a reserved server id', async () => {
    const base = t.app.gatewayUrl!;
    const page = await fetch(`${base}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('/ui/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${base}/ui/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${base}/ui/lib/../../ui-assets.ts`)).status).toBe(404);
    expect((await fetch(`${base}/ui/nothing.js`)).status).toBe(404);
    const etag = script.headers.get('etag')!;
    expect((await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const reserved = await fetch(`${base}/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'ui' }),
    });
    expect(reserved.status).toBe(400);
  });

  it('with a gateway the listeners serve no /ui, but accept the cookie', async () => {
    const base = t.app.urls.finance!;
    const page = await fetch(`${base}/ui`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/json/);
    const session = await signIn(t.app.gatewayUrl!, ADMIN_TOKEN);
    expect((await fetch(`${base}/keys`, { headers: { cookie: session.cookie! } })).status).toBe(200);
  });
});

describe('admin UI sessions: listeners without a gateway, and TOOLPORT_UI=0', () => {
  const t = useToolport('pglite', { TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN });
  const off = useToolport('pglite', { TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN, TOOLPORT_UI: '0' });

  it('each listener serves /ui as its own server; a loopback caller under local-open is told it is let in', async () => {
    const finance = await fetch(`${t.app.urls.finance}/ui/session`).then(json);
    expect(finance).toMatchObject({ signedIn: false, mode: 'listener', server: 'finance', principal: { kind: 'local' }, csrf: null });
    const session = await signIn(t.app.urls.utility!, ADMIN_TOKEN);
    expect(session.body).toMatchObject({ mode: 'listener', server: 'utility' });
  });

  it('a session made with the admin token ends when the configured token changes (a restart or a replica with another token)', async () => {
    const session = await signIn(t.app.urls.finance!, ADMIN_TOKEN);
    const rotated = await startTestToolport(t.db, { TOOLPORT_ADMIN_TOKEN: 'a-rotated-admin-token-0000000000', TOOLPORT_SERVERS: 'finance:0' });
    try {
      const refused = await fetch(`${rotated.urls.finance}/keys`, { headers: { cookie: session.cookie! } });
      expect(refused.status).toBe(401);
      expect((await json(refused)).error.message).toMatch(/admin token/);
      expect((await fetch(`${t.app.urls.finance}/keys`, { headers: { cookie: session.cookie! } })).status).toBe(200);
    } finally {
      await rotated.stop();
    }
  });

  it('TOOLPORT_UI=0 serves no /ui and no /ui/session', async () => {
    expect((await fetch(`${off.app.urls.finance}/ui`)).status).toBe(404);
    expect((await fetch(`${off.app.urls.finance}/ui/session`)).status).toBe(404);
  });
});

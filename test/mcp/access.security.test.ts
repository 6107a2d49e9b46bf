import { describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, connectLegacyAs, connectModernAs, createKey, KEYED_ENV } from './access-support.ts';
import { INITIALIZE, MODERN_META, postMcp, postModern } from './support.ts';

/** Who may reach /mcp at all: every refusal is an HTTP status with a challenge and a JSON-RPC error body. */
describe.each(backends)('/mcp authentication (%s, TOOLPORT_AUTH=required)', (backend) => {
  const t = useToolport(backend, KEYED_ENV);
  const finance = () => t.app.urls.finance!;

  async function expectUnauthorized(response: Response, reason: RegExp) {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    const body = await response.json();
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001, message: expect.stringMatching(reason) } });
  }

  it('no credential: 401 with WWW-Authenticate: Bearer and a JSON-RPC error, in both eras', async () => {
    await expectUnauthorized(await postMcp(finance(), INITIALIZE), /needs a credential/);
    await expectUnauthorized(await postModern(finance(), 'tools/list', 1, { _meta: MODERN_META }), /needs a credential/);
    await expectUnauthorized(await fetch(`${finance()}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } }), /needs a credential/);
    // Real clients fail to connect rather than see any tool.
    await expect(connectModernAs(finance(), undefined)).rejects.toThrow();
    await expect(connectLegacyAs(finance(), undefined)).rejects.toThrow();
  });

  it('a malformed header, an unknown key and a wrong admin token are refused, never treated as no credential', async () => {
    await expectUnauthorized(await postMcp(finance(), INITIALIZE, { authorization: 'Basic dXNlcjpwYXNz' }), /Malformed Authorization header/);
    await expectUnauthorized(await postMcp(finance(), INITIALIZE, { authorization: 'Bearer' }), /Malformed/);
    const made = await createKey(t.app, 'real', ['finance:call']);
    const forged = `${made.key.slice(0, -4)}${made.key.endsWith('aaaa') ? 'bbbb' : 'aaaa'}`;
    const unknown = await postMcp(finance(), INITIALIZE, bearer(forged));
    await expectUnauthorized(unknown, /./);
    expect(unknown.headers.get('www-authenticate')).toContain('invalid_token');
    await expectUnauthorized(await postMcp(finance(), INITIALIZE, bearer('not-the-admin-token')), /./);
  });

  it('a revoked key stops working at once', async () => {
    const made = await createKey(t.app, 'to-revoke', ['finance:call']);
    const client = await connectModernAs(finance(), made.key);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    await t.app.toolport.access.keys.revoke('admin-token', made.id);
    await expectUnauthorized(await postMcp(finance(), INITIALIZE, bearer(made.key)), /revoked/);
    await expect(connectLegacyAs(finance(), made.key)).rejects.toThrow();
  });

  it('an expired key is refused', async () => {
    const made = await createKey(t.app, 'short-lived', ['finance:call'], { expiresIn: '1h' });
    expect((await postMcp(finance(), INITIALIZE, bearer(made.key))).status).toBe(200);
    // Let the hour pass: the stored expiry moves into the past, and the key ring reloads (as the change feed makes it).
    await t.db.database.query(`update api_keys set expires_at = now() - interval '1 minute' where id = $1`, [made.id]);
    await t.app.toolport.access.keyRing.reload();
    await expectUnauthorized(await postMcp(finance(), INITIALIZE, bearer(made.key)), /expired/);
  });

  it('a key for another server gets 403 naming <server>:list, with an insufficient_scope challenge', async () => {
    const made = await createKey(t.app, 'utility-only', ['utility:call']);
    const response = await postMcp(finance(), INITIALIZE, bearer(made.key));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="finance:list"');
    expect(await response.json()).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32003, message: expect.stringContaining('finance:list'), data: { scope: 'finance:list' } },
    });
    // The same key is fine on its own server.
    const utility = await connectModernAs(t.app.urls.utility!, made.key);
    expect((await utility.listTools()).tools.map((tool) => tool.name)).toContain('get_time');
    await utility.close();
  });

  it('a foreign Origin gets 403 before any credential is asked for', async () => {
    const response = await postMcp(finance(), INITIALIZE, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toMatchObject({ error: { code: -32000, message: expect.stringMatching(/Origin/) } });
  });

  it('the admin token lists and calls everything, in both eras', async () => {
    const modern = await connectModernAs(finance(), ADMIN_TOKEN);
    expect(modern.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect((await modern.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
    const result = await modern.callTool({ name: 'calculate_portfolio', arguments: { positions: [{ symbol: 'X', quantity: 2, price: 3 }] } });
    expect(result.isError).toBeFalsy();
    await modern.close();
    const { client } = await connectLegacyAs(finance(), ADMIN_TOKEN);
    expect((await client.listTools()).tools).toHaveLength(3);
    await client.close();
  });
});

describe.each(backends)('/mcp under local-open (%s, the default on loopback)', (backend) => {
  const t = useToolport(backend);

  it('a loopback caller without a credential lists and calls, in both eras', async () => {
    const modern = await connectModernAs(t.app.urls.finance!, undefined);
    expect((await modern.listTools()).tools).toHaveLength(3);
    const result = await modern.callTool({ name: 'calculate_portfolio', arguments: { positions: [{ symbol: 'X', quantity: 1, price: 5 }] } });
    expect(result.isError).toBeFalsy();
    await modern.close();
    const { client } = await connectLegacyAs(t.app.urls.utility!, undefined);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('get_time');
    expect((await client.callTool({ name: 'get_time', arguments: {} })).isError).toBeFalsy();
    await client.close();
  });

  it('a wrong credential is still refused on loopback', async () => {
    const response = await postMcp(t.app.urls.finance!, INITIALIZE, bearer('tp_aaaaaaaa_wrongwrongwrongwrongwrong'));
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe(-32001);
  });
});

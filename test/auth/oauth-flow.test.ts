import { describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { mcpRequest, rpcBody } from '../support/mcp-request.ts';
import { bearer, useOAuthToolport } from '../support/oauth-toolport.ts';
import { json } from '../support/toolport.ts';

/**
 * OAuth on one server of a real Toolport, end to end over HTTP: finance has
 * `servers.auth` (set in the database after start), utility has none. Every
 * token comes from the local authorization-server stand-in; every request is
 * a real fetch to the real listener, on REST (GET /tools, POST
 * /tools/call) and on /mcp (hand-written 2026-07-28 JSON-RPC).
 */

const PRICE = { name: 'get_stock_price', arguments: { symbol: 'AAPL' } };
/** The mapping's OAuth scopes, sorted: jsonb keeps object keys in its own order, so lists are compared as sets. */
const ALL_SCOPES = ['tools.call', 'tools.prices', 'tools.read'];

/** A WWW-Authenticate value with its `scope="…"` list sorted, for comparing. */
function sortedScopes(header: string | null): string | null {
  return header?.replace(/scope="([^"]*)"/, (_all, list: string) => `scope="${list.split(' ').sort().join(' ')}"`) ?? null;
}

describe.each(backends)('OAuth on one server, end to end (%s)', (backend) => {
  const t = useOAuthToolport(backend);
  const metadataUrl = () => `${t.finance}/.well-known/oauth-protected-resource/mcp`;
  const listTools = (base: string, headers: Record<string, string> = {}) => fetch(`${base}/tools`, { headers });
  const callTool = (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(PRICE) });
  const names = async (response: Response) => ((await json(response)).tools as { name: string }[]).map((tool) => tool.name).sort();

  it('without a token: 401 with the discovery challenge even from loopback, on REST and /mcp; utility (no OAuth) stays open to loopback', async () => {
    const challenge = `Bearer resource_metadata="${metadataUrl()}", scope="${ALL_SCOPES.join(' ')}"`;
    for (const response of [await listTools(t.finance), await callTool(t.finance)]) {
      expect(response.status).toBe(401);
      expect(sortedScopes(response.headers.get('www-authenticate'))).toBe(challenge);
      expect((await json(response)).error.code).toBe('unauthorized');
    }
    const mcp = await mcpRequest(t.finance, 'tools/list', {});
    expect(mcp.status).toBe(401);
    expect(sortedScopes(mcp.headers.get('www-authenticate'))).toBe(challenge);
    expect((await rpcBody(mcp)).error.code).toBe(-32001);

    const open = await listTools(t.utility);
    expect(open.status).toBe(200);
    expect(await names(open)).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
  });

  it('serves the RFC 9728 document at both well-known paths; the server without OAuth answers 404 there', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(`${t.finance}${path}`);
      expect(response.status, path).toBe(200);
      const document = (await response.json()) as { scopes_supported: string[] };
      expect(document).toMatchObject({ resource: t.audience, authorization_servers: [t.as.issuer], bearer_methods_supported: ['header'] });
      expect([...document.scopes_supported].sort()).toEqual(ALL_SCOPES);
      // Discovery must fail where OAuth is off: some clients drop their static key once it succeeds.
      const off = await fetch(`${t.utility}${path}`);
      expect(off.status, `utility ${path}`).toBe(404);
      expect((await json(off)).error.code).toBe('not_found');
    }
  });

  it('a valid token lists the tools its scopes show, on REST and /mcp', async () => {
    const read = bearer(await t.as.mint({}, { scope: 'tools.read' }));
    const prices = bearer(await t.as.mint({}, { scope: 'tools.prices' }));
    const all = ['calculate_portfolio', 'get_financial_news', 'get_stock_price'];
    const someOf = ['get_financial_news', 'get_stock_price'];

    expect(await names(await listTools(t.finance, read))).toEqual(all);
    expect(await names(await listTools(t.finance, prices))).toEqual(someOf);

    const mcpNames = async (headers: Record<string, string>) => {
      const response = await mcpRequest(t.finance, 'tools/list', {}, headers);
      expect(response.status).toBe(200);
      return ((await rpcBody(response)).result.tools as { name: string }[]).map((tool) => tool.name).sort();
    };
    expect(await mcpNames(read)).toEqual(all);
    expect(await mcpNames(prices)).toEqual(someOf);
  });

  it('a token with tools.call calls; one with only tools.read gets -32003 on /mcp, naming the scope it lacks', async () => {
    const caller = bearer(await t.as.mint({}, { scope: 'tools.read tools.call' }));
    const called = await callTool(t.finance, caller);
    expect(called.status).toBe(200);
    expect(JSON.stringify(await json(called))).toContain('AAPL');
    const viaMcp = await rpcBody(await mcpRequest(t.finance, 'tools/call', PRICE, caller));
    expect(viaMcp.result, JSON.stringify(viaMcp)).toBeDefined();

    const reader = bearer(await t.as.mint({}, { scope: 'tools.read' }));
    const refused = await rpcBody(await mcpRequest(t.finance, 'tools/call', PRICE, reader));
    expect(refused.error).toMatchObject({ code: -32003, data: { scope: 'finance:call' } });
  });

  it('a token with only tools.read calling over REST: 403 forbidden with an insufficient_scope challenge', async () => {
    const refused = await callTool(t.finance, bearer(await t.as.mint({}, { scope: 'tools.read' })));
    expect(refused.status).toBe(403);
    const body = await json(refused);
    expect(body.error.code).toBe('forbidden');
    expect(refused.headers.get('www-authenticate'), JSON.stringify(body)).toMatch(
      /^Bearer error="insufficient_scope", .*resource_metadata="[^"]+".*scope="[^"]+"/,
    );
  });

  it('a valid token that maps to none of the server’s scopes is 403 insufficient_scope naming the scopes to ask for', async () => {
    const response = await listTools(t.finance, bearer(await t.as.mint({}, { scope: 'openid profile' })));
    expect(response.status).toBe(403);
    expect(sortedScopes(response.headers.get('www-authenticate'))).toMatch(
      new RegExp(`^Bearer error="insufficient_scope", .*scope="${ALL_SCOPES.join(' ').replaceAll('.', '\\.')}"$`),
    );
  });

  it.each([
    ['expired', () => t.as.mint({}, { scope: 'tools.read', expiresIn: -300 })],
    ['for another resource (utility’s /mcp)', () => t.as.mint({}, { scope: 'tools.read', audience: `${t.utility}/mcp` })],
    ['from another issuer', () => t.as.mint({}, { scope: 'tools.read', issuer: 'http://127.0.0.1:1/evil' })],
    ['signed with a kid the authorization server does not publish', () => t.as.mint({}, { scope: 'tools.read', kid: 'k-made-up' })],
    ['with alg none', async () => t.as.algNone({}, { scope: 'tools.read' })],
    ['HS256-signed with the public key (algorithm confusion)', () => t.as.hs256WithPublicKey({}, { scope: 'tools.read' })],
  ])('refuses a token %s: 401 invalid_token on REST and /mcp, the token never echoed', async (_name, make) => {
    const token = await make();
    for (const response of [await listTools(t.finance, bearer(token)), await mcpRequest(t.finance, 'tools/list', {}, bearer(token))]) {
      expect(response.status).toBe(401);
      const header = response.headers.get('www-authenticate')!;
      expect(header).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="[^"]+"$/);
      expect(header).not.toContain(token);
      expect(await response.text()).not.toContain(token);
    }
  });

  it('API keys still work beside OAuth while acceptKeys is true (the default), and are refused once it is false', async () => {
    const { key } = await t.app.toolport.access.keys.create('test', { name: 'finance-agent', scopes: ['finance:call'] });
    const withKey = bearer(key);
    expect((await listTools(t.finance, withKey)).status).toBe(200);
    expect((await callTool(t.finance, withKey)).status).toBe(200);

    await t.setAuth(t.settings({ acceptKeys: false }));
    try {
      const refused = await listTools(t.finance, withKey);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", .*resource_metadata="/);
      expect((await mcpRequest(t.finance, 'tools/list', {}, withKey)).status).toBe(401);
      // Tokens still work.
      expect((await listTools(t.finance, bearer(await t.as.mint({}, { scope: 'tools.read' })))).status).toBe(200);
    } finally {
      await t.setAuth(t.settings());
    }
    expect((await listTools(t.finance, withKey)).status).toBe(200);
  });

  it('switching OAuth off in the database makes discovery 404 and loopback open again', async () => {
    await t.setAuth(null);
    try {
      expect((await fetch(`${t.finance}/.well-known/oauth-protected-resource/mcp`)).status).toBe(404);
      expect((await listTools(t.finance)).status).toBe(200);
    } finally {
      await t.setAuth(t.settings());
    }
    expect((await listTools(t.finance)).status).toBe(401);
  });
});

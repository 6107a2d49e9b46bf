import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startUpstream, type Upstream } from '../handlers/http-kind-upstream.ts';
import { backends } from '../support/database.ts';
import { ADMIN_TOKEN, bearer, useOAuthToolport } from '../support/oauth-toolport.ts';
import { json } from '../support/toolport.ts';

/**
 * The MCP SDK v2 client's own OAuth support against a real Toolport: it gets
 * the 401, reads finance's protected-resource metadata, then the stand-in's
 * authorization-server metadata, fetches a token (client_credentials, RFC
 * 8707 `resource` = finance's /mcp) and lists and calls with it. And the
 * token stays at Toolport: an http tool's upstream never sees it.
 */

describe.each(backends)('the SDK client signs in to a real Toolport; tokens are not passed on (%s)', (backend) => {
  const t = useOAuthToolport(backend, { TOOLPORT_HTTP_ALLOW: '127.0.0.1/32', TOOLPORT_SHUTDOWN_TIMEOUT_MS: '1000' });
  let upstream: Upstream;

  beforeAll(async () => {
    // Registered for read and call only: the stand-in grants no more, whatever the client asks for.
    t.as.addClient('ci-agent', 'ci-secret', ['tools.read', 'tools.call']);
    upstream = await startUpstream();
    upstream.route('/echo', (request, response) => sendJson(response, 200, { headers: request.headers }));
    // A write on the OAuth server with the admin token (accepted beside tokens while acceptKeys is true).
    const created = await fetch(`${t.finance}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(ADMIN_TOKEN) },
      body: JSON.stringify({
        name: 'get_upstream_echo',
        description: 'What the upstream received',
        handler: 'http',
        inputSchema: { type: 'object', properties: {} },
        config: { method: 'GET', url: `${upstream.url}/echo` },
      }),
    });
    expect(created.status, JSON.stringify(await json(created))).toBe(201);
  });
  afterAll(() => upstream?.close());

  const noTokenUpstream = (tokens: string[]) => {
    const seen = upstream.seenAt('/echo');
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.headers.authorization).toBeUndefined();
      const everything = JSON.stringify(request);
      for (const token of tokens) expect(everything).not.toContain(token);
    }
  };

  it('follows 401 → protected-resource metadata → AS metadata → token, then lists and calls through the SDK', async () => {
    const provider = new ClientCredentialsProvider({ clientId: 'ci-agent', clientSecret: 'ci-secret', scope: 'tools.read', expectedIssuer: t.as.issuer });
    const client = new Client({ name: 'oauth-flow-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(t.audience), { authProvider: provider }));
    try {
      const listed = (await client.listTools()).tools.map((tool) => tool.name).sort();
      expect(listed).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price', 'get_upstream_echo']);
      const price = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } });
      expect(price.isError).toBeFalsy();
      expect(JSON.stringify(price.content)).toContain('AAPL');

      // The SDK asked for the 401's scopes and named finance's resource (RFC 8707); the stand-in granted what ci-agent is registered for.
      const request = t.as.tokenRequests.at(-1)!;
      expect(request).toMatchObject({ clientId: 'ci-agent', resource: t.audience });
      expect(request.scope?.split(' ').sort()).toEqual(['tools.call', 'tools.prices', 'tools.read']);
      const token = (await provider.tokens())?.access_token;
      expect(token).toMatch(/^eyJ/);

      const echoed = await client.callTool({ name: 'get_upstream_echo', arguments: {} });
      expect(echoed.isError, JSON.stringify(echoed)).toBeFalsy();
      noTokenUpstream([token!]);
    } finally {
      await client.close();
    }
  });

  it('a hand-made token on REST: the upstream of an http tool never sees the Authorization header', async () => {
    const token = await t.as.mint({}, { scope: 'tools.call', subject: 'rest-user' });
    const response = await fetch(`${t.finance}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ name: 'get_upstream_echo', arguments: {} }),
    });
    expect(response.status, JSON.stringify(await response.clone().text())).toBe(200);
    const body = await json(response);
    expect(JSON.stringify(body.structuredContent.headers)).not.toContain(token);
    noTokenUpstream([token, ADMIN_TOKEN]);

    // The audit log names the caller by issuer and subject — never by its token.
    const actor = `oauth:${t.as.issuer}#rest-user`;
    const audit = await fetch(`${t.finance}/audit?actor=${encodeURIComponent(actor)}&tool=get_upstream_echo`, { headers: bearer(ADMIN_TOKEN) });
    const page = await json(audit);
    expect(audit.status, JSON.stringify(page)).toBe(200);
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).toMatchObject({ actor, action: 'call', outcome: 'ok', tool: 'get_upstream_echo' });
    expect(JSON.stringify(page)).not.toContain(token);
  });
});

import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useOAuthToolport } from '../support/oauth-toolport.ts';

/**
 * OAuth discovery through the gateway (RFC 9728): a server whose resource is
 * its gateway path (`https://gw/finance/mcp`, e.g. a server with no port of
 * its own) publishes its protected-resource metadata at the path-inserted
 * well-known URL of the gateway's origin — the URL its 401 names — so an MCP
 * client can find its authorization server.
 */
describe.each(backends)('OAuth discovery on the gateway (%s)', (backend) => {
  const t = useOAuthToolport(backend, { TOOLPORT_GATEWAY_PORT: '0' });
  beforeAll(() => {
    t.as.addClient('gw-agent', 'gw-secret', ['tools.read', 'tools.call']);
  });

  it('the 401 on /finance/mcp names a metadata URL on the gateway that answers the document', async () => {
    const gateway = t.app.gatewayUrl!;
    const audience = `${gateway}/finance/mcp`;
    await t.setAuth(t.settings({ audience }));
    const refused = await fetch(`${gateway}/finance/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${gateway}/.well-known/oauth-protected-resource/finance/mcp`);
    const document = await fetch(metadataUrl!);
    expect(document.status).toBe(200);
    expect(document.headers.get('access-control-allow-origin')).toBe('*');
    expect(await document.json()).toMatchObject({ resource: audience, authorization_servers: [t.as.issuer] });
    // A server without OAuth, and one that is not served, answer 404 there (discovery must fail where OAuth is off).
    expect((await fetch(`${gateway}/.well-known/oauth-protected-resource/utility/mcp`)).status).toBe(404);
    expect((await fetch(`${gateway}/.well-known/oauth-protected-resource/nowhere/mcp`)).status).toBe(404);
  });

  it('an SDK v2 client with only the gateway URL signs in (401 → metadata → token) and lists finance', async () => {
    const audience = `${t.app.gatewayUrl}/finance/mcp`;
    t.as.audience = audience;
    await t.setAuth(t.settings({ audience }));
    const provider = new ClientCredentialsProvider({ clientId: 'gw-agent', clientSecret: 'gw-secret', scope: 'tools.read', expectedIssuer: t.as.issuer });
    const client = new Client({ name: 'gateway-oauth-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(audience), { authProvider: provider }));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('get_stock_price');
      expect(t.as.tokenRequests.at(-1)).toMatchObject({ clientId: 'gw-agent', resource: audience });
    } finally {
      await client.close();
    }
  });
});

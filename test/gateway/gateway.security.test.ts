import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, auditOf, bearer, connectLegacyAs, connectModernAs, createKey, KEYED_ENV, rpcErrorOf } from '../mcp/access-support.ts';
import { postMcp } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

const names = (list: { name: string }[]) => list.map((tool) => tool.name).sort();

/** Scopes apply on every gateway path as on the servers' own ports, and per tool on the composed /mcp. */
describe.each(backends)('gateway access (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0' });
  const gw = () => t.app.gatewayUrl!;

  it('no credential, a wrong one or a revoked key: 401 on server paths, the composed /mcp and the gateway’s routes', async () => {
    const made = await createKey(t.app, 'to-revoke', ['finance:call']);
    await t.app.toolport.access.keys.revoke('admin-token', made.id);
    for (const token of [undefined, 'tp_wrong_0123456789abcdef', made.key]) {
      for (const path of ['/finance/tools', '/utility/info', '/tools', '/servers', '/info']) {
        const response = await fetch(`${gw()}${path}`, { headers: bearer(token) });
        expect(response.status, `${path} with ${token ?? 'nothing'}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      for (const base of [gw(), `${gw()}/finance`]) {
        const answer = await postMcp(base, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(token));
        expect(answer.status).toBe(401);
      }
    }
    // Health stays open for load balancers.
    expect((await fetch(`${gw()}/health`)).status).toBe(200);
    expect((await fetch(`${gw()}/finance/health`)).status).toBe(200);
  });

  it('a finance:call key: finance’s path and its finance_* tools on /mcp; not utility, not the management tools', async () => {
    const made = await createKey(t.app, 'finance-only', ['finance:call']);
    const auth = bearer(made.key);
    expect((await fetch(`${gw()}/finance/tools`, { headers: auth })).status).toBe(200);
    const refused = await fetch(`${gw()}/utility/tools`, { headers: auth });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toContain('utility:list');
    const modern = await connectModernAs(gw(), made.key);
    expect(names((await modern.listTools()).tools)).toEqual(['finance_calculate_portfolio', 'finance_get_financial_news', 'finance_get_stock_price']);
    expect((await modern.callTool({ name: 'finance_get_stock_price', arguments: { symbol: 'MSFT' } })).isError).toBeFalsy();
    // A tool it cannot see answers like one that does not exist.
    const hidden = await rpcErrorOf(modern.callTool({ name: 'utility_get_time', arguments: {} }));
    const absent = await rpcErrorOf(modern.callTool({ name: 'no_such_tool', arguments: {} }));
    expect(hidden.code).toBe(absent.code);
    await rpcErrorOf(modern.callTool({ name: 'get_server_info', arguments: {} }));
    await modern.close();
    const rest = await json(await fetch(`${gw()}/tools`, { headers: auth }));
    expect(names(rest.tools)).toEqual(['finance_calculate_portfolio', 'finance_get_financial_news', 'finance_get_stock_price']);
    expect((await fetch(`${gw()}/servers`, { headers: auth })).status).toBe(403);

    const entries = await auditOf(t.app, made.actor);
    const call = entries.find((entry) => entry.action === 'call' && entry.tool === 'get_stock_price');
    expect(call).toMatchObject({ serverId: 'finance', outcome: 'ok' });
  });

  it('a glob scope shows only its tools; a list-only key cannot call; toolport:call reaches the management tools only', async () => {
    const glob = await createKey(t.app, 'getters', ['finance:call:get_*']);
    const { client } = await connectLegacyAs(gw(), glob.key);
    expect(names((await client.listTools()).tools)).toEqual(['finance_get_financial_news', 'finance_get_stock_price']);
    await client.close();

    const lister = await createKey(t.app, 'lister', ['utility:list']);
    const listing = await connectModernAs(gw(), lister.key);
    expect(names((await listing.listTools()).tools)).toHaveLength(4);
    const forbidden = await rpcErrorOf(listing.callTool({ name: 'utility_get_time', arguments: {} }));
    expect(forbidden.code).toBe(-32003);
    await listing.close();

    const manager = await createKey(t.app, 'manager', ['toolport:call']);
    const managing = await connectModernAs(gw(), manager.key);
    expect(names((await managing.listTools()).tools)).toEqual(['calculate_stats', 'get_server_info', 'get_sub_server_config', 'list_all_servers']);
    expect((await managing.callTool({ name: 'list_all_servers', arguments: {} })).isError).toBeFalsy();
    await managing.close();

    // A key for a server that is not composed sees nothing here: refused, naming a scope.
    const other = await createKey(t.app, 'elsewhere', ['billing:call']);
    const answer = await postMcp(gw(), { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(other.key));
    expect(answer.status).toBe(403);
  });

  it('the admin token sees every composed tool and the management tools', async () => {
    const admin = await connectModernAs(gw(), ADMIN_TOKEN);
    const listed = names((await admin.listTools()).tools);
    expect(listed).toHaveLength(11);
    expect(listed).toContain('get_server_info');
    await admin.close();
  });
});

import { describe, expect, it } from 'vitest';
import { connectLegacy, connectModern, countModernChanges } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, startTestToolport, useToolport } from '../support/toolport.ts';

const FINANCE_TOOLS = ['calculate_portfolio', 'get_financial_news', 'get_stock_price'];
const UTILITY_TOOLS = ['data_processor', 'get_time', 'get_weather', 'text_analyzer'];

const names = (list: { name: string }[]) => list.map((tool) => tool.name).sort();

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every server at /<id>/… on one port: the same routes, behaviour and errors as on its own port. */
describe.each(backends)('gateway: every server under its path (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50' });
  const gw = () => t.app.gatewayUrl!;

  it('lists, describes and calls each server’s tools at /<id>/…, the same as on its own port', async () => {
    expect(names((await json(await fetch(`${gw()}/finance/tools`))).tools)).toEqual(FINANCE_TOOLS);
    expect(names((await json(await fetch(`${gw()}/utility/tools`))).tools)).toEqual(UTILITY_TOOLS);
    const own = await json(await fetch(`${t.app.urls.finance}/tools/get_stock_price`));
    expect(await json(await fetch(`${gw()}/finance/tools/get_stock_price`))).toEqual(own);
    const info = await json(await fetch(`${gw()}/finance/info`));
    expect(info.server).toMatchObject({ id: 'finance' });
    expect(info.tools.names).toEqual(FINANCE_TOOLS);
    const health = await json(await fetch(`${gw()}/utility/health`));
    expect(health).toMatchObject({ status: 'ok', server: 'utility' });
    const called = await fetch(`${gw()}/finance/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'calculate_portfolio', arguments: { positions: [{ symbol: 'X', quantity: 2, price: 3 }] } }),
    });
    expect(called.status).toBe(200);
    expect((await json(called)).structuredContent.totalValue).toBe(6);
  });

  it('answers errors in the same envelope, naming the server; an unknown server is a 404 listing the served ones', async () => {
    const missing = await fetch(`${gw()}/finance/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'get_time', arguments: {} }),
    });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: 'not_found', server: 'finance' });
    const unknown = await fetch(`${gw()}/billing/tools`);
    expect(unknown.status).toBe(404);
    const body = await json(unknown);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toMatch(/No server "billing".*finance, utility/);
    expect((await fetch(`${gw()}/finance/nope`)).status).toBe(404);
  });

  it('writes through a path land on that server, with the Location under the path', async () => {
    const created = await fetch(`${gw()}/utility/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gw_clock', description: 'Time via the gateway', handler: 'get_time' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/utility/tools/gw_clock');
    expect((await fetch(`${t.app.urls.utility}/tools/gw_clock`)).status).toBe(200);
    expect((await fetch(`${gw()}/finance/tools/gw_clock`)).status).toBe(404);
    expect((await fetch(`${gw()}/utility/tools/gw_clock`, { method: 'DELETE' })).status).toBe(200);
  });

  it('an MCP client on /finance/mcp sees only finance tools, in both eras, and hears list_changed', async () => {
    const modern = await connectModern(`${gw()}/finance`);
    expect(names((await modern.listTools()).tools)).toEqual(FINANCE_TOOLS);
    const result = await modern.callTool({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } });
    expect(result.isError).toBeFalsy();
    const { client: legacy } = await connectLegacy(`${gw()}/utility`);
    expect(names((await legacy.listTools()).tools)).toEqual(UTILITY_TOOLS);
    const changes = countModernChanges(modern);
    await modern.listen({ toolsListChanged: true });
    const created = await fetch(`${t.app.urls.finance}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gw_quote', description: 'Quote', handler: 'get_stock_price' }),
    });
    expect(created.status).toBe(201);
    await changes.reach(1);
    expect(names((await modern.listTools()).tools)).toContain('gw_quote');
    await fetch(`${t.app.urls.finance}/tools/gw_quote`, { method: 'DELETE' });
    await modern.close();
    await legacy.close();
  });

  it('a server without a port is served on the gateway only; disabled, enabled, deleted in SQL, it goes and comes back at once', async () => {
    await t.db.database.query(`INSERT INTO servers (id, name, port) VALUES ('ops', 'Operations', NULL)`);
    await t.db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('ops', 'ops_time', 'Time for ops', '{"type":"object"}', 'get_time')`,
    );
    // Selected without a port, and its row has none: served on the gateway only.
    const other = await startTestToolport(t.db, { TOOLPORT_SERVERS: 'finance:0,utility:0,ops', TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50' });
    try {
      const gateway = other.gatewayUrl!;
      expect(names((await json(await fetch(`${gateway}/ops/tools`))).tools)).toEqual(['ops_time']);
      expect(other.toolport.listeners.has('ops')).toBe(false);
      const client = await connectModern(`${gateway}/ops`);
      expect(names((await client.listTools()).tools)).toEqual(['ops_time']);
      await client.close();

      await t.db.database.query(`UPDATE servers SET enabled = false WHERE id = 'ops'`);
      await waitFor(async () => ((await fetch(`${gateway}/ops/tools`)).status === 404 ? true : undefined));
      await t.db.database.query(`UPDATE servers SET enabled = true WHERE id = 'ops'`);
      await waitFor(async () => ((await fetch(`${gateway}/ops/tools`)).status === 200 ? true : undefined));
      await t.db.database.query(`DELETE FROM servers WHERE id = 'ops'`);
      await waitFor(async () => ((await fetch(`${gateway}/ops/tools`)).status === 404 ? true : undefined));
    } finally {
      await other.stop();
    }
  });

  it('/health and /info of the gateway summarize every server', async () => {
    const health = await json(await fetch(`${gw()}/health`));
    expect(health.status).toBe('ok');
    expect(health.servers.map((server: { id: string }) => server.id)).toEqual(['finance', 'utility']);
    expect(health.servers[0]).toMatchObject({ id: 'finance', status: 'ok', path: '/finance', tools: { total: 3, available: 3 } });
    const info = await json(await fetch(`${gw()}/info`));
    expect(info.server.id).toBe('toolport');
    expect(info.server).not.toHaveProperty('configuredPort');
    expect(info.servers.map((server: { id: string }) => server.id)).toEqual(['finance', 'utility']);
  });
});

import { describe, expect, it } from 'vitest';
import { connectLegacy, connectModern, countLegacyChanges, countModernChanges } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

const MANAGEMENT = ['calculate_stats', 'get_server_info', 'get_sub_server_config', 'list_all_servers'];
const COMPOSED = [
  'finance_calculate_portfolio',
  'finance_get_financial_news',
  'finance_get_stock_price',
  'utility_data_processor',
  'utility_get_time',
  'utility_get_weather',
  'utility_text_analyzer',
];

const names = (list: { name: string }[]) => list.map((tool) => tool.name);

function structured(result: unknown): any {
  return (result as { structuredContent: unknown }).structuredContent;
}

/** The gateway's main endpoint: the management tools plus every composed server's tools under its prefix. */
describe.each(backends)('gateway /mcp: the composed view (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50' });
  const gw = () => t.app.gatewayUrl!;

  it('lists the four management tools and finance_* / utility_* in one sorted list, and calls them', async () => {
    const client = await connectModern(gw());
    const listed = names((await client.listTools()).tools);
    expect(listed).toEqual([...MANAGEMENT, ...COMPOSED].sort());
    const quote = await client.callTool({ name: 'finance_get_stock_price', arguments: { symbol: 'AAPL' } });
    expect(quote.isError).toBeFalsy();
    expect(structured(quote).symbol).toBe('AAPL');
    const stats = await client.callTool({ name: 'calculate_stats', arguments: { numbers: [1, 2, 3, 4] } });
    expect(structured(stats)).toMatchObject({ count: 4, sum: 10, mean: 2.5, median: 2.5, min: 1, max: 4 });
    const info = structured(await client.callTool({ name: 'get_server_info', arguments: {} }));
    expect(info.servers.map((server: { id: string }) => server.id)).toEqual(['finance', 'utility']);
    const config = structured(await client.callTool({ name: 'get_sub_server_config', arguments: { server_id: 'finance' } }));
    expect(JSON.stringify(config)).toContain('finance');
    const unknown = await client.callTool({ name: 'get_sub_server_config', arguments: { server_id: 'nope' } });
    expect(unknown.isError).toBe(true);
    await client.close();
  });

  it('a 2025-era client sees the same list; REST /tools and /tools/call on the gateway root use the same names', async () => {
    const { client } = await connectLegacy(gw());
    expect(names((await client.listTools()).tools)).toEqual([...MANAGEMENT, ...COMPOSED].sort());
    await client.close();
    const rest = await json(await fetch(`${gw()}/tools`));
    expect(names(rest.tools)).toEqual([...MANAGEMENT, ...COMPOSED].sort());
    const called = await fetch(`${gw()}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'utility_get_time', arguments: { timezone: 'UTC' } }),
    });
    expect((await json(called)).structuredContent.utcOffset).toBe('+00:00');
    // Composed names go through the server's own validation.
    const bad = await fetch(`${gw()}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'finance_get_stock_price', arguments: { symbol: 42 } }),
    });
    expect(bad.status).toBe(400);
    // The composed view is read-only: tools are written on their server.
    const write = await fetch(`${gw()}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', description: 'x', handler: 'get_time' }),
    });
    expect(write.status).toBeGreaterThanOrEqual(400);
  });

  it('notifies list_changed when a composed server’s tools change, and follows a changed prefix or compose flag', async () => {
    const modern = await connectModern(gw());
    const { client: legacy } = await connectLegacy(gw());
    await legacy.listTools();
    const modernChanges = countModernChanges(modern);
    await modern.listen({ toolsListChanged: true });
    const legacyChanges = countLegacyChanges(legacy);
    await fetch(`${t.app.urls.utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'clock2', description: 'Another clock', handler: 'get_time' }),
    });
    await modernChanges.reach(1);
    await legacyChanges.reach(1);
    expect(names((await modern.listTools()).tools)).toContain('utility_clock2');

    await t.db.database.query(`UPDATE servers SET tool_prefix = 'util' WHERE id = 'utility'`);
    await modernChanges.reach(2, 3000);
    const renamed = names((await modern.listTools()).tools);
    expect(renamed).toContain('util_clock2');
    expect(renamed.some((name) => name.startsWith('utility_'))).toBe(false);

    await t.db.database.query(`UPDATE servers SET compose = false WHERE id = 'utility'`);
    await modernChanges.reach(3, 3000);
    expect(names((await modern.listTools()).tools)).toEqual([...MANAGEMENT, ...COMPOSED.filter((name) => name.startsWith('finance_'))].sort());
    // Not composed, still served on its path.
    expect((await fetch(`${gw()}/utility/tools/clock2`)).status).toBe(200);

    await t.db.database.query(`UPDATE servers SET compose = true, tool_prefix = NULL WHERE id = 'utility'`);
    await modernChanges.reach(4, 3000);
    await fetch(`${t.app.urls.utility}/tools/clock2`, { method: 'DELETE' });
    await modern.close();
    await legacy.close();
  });

  it('never lists two tools of one name: a clash made in SQL keeps the first server’s tool and says so on /health', async () => {
    // finance_x on utility (prefix "finance") against finance's x: written in SQL, past the write service's check.
    await t.db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('finance', 'clash_tool', 'finance clash', '{"type":"object"}', 'get_time')`,
    );
    await t.db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', 'tool', 'utility clash', '{"type":"object"}', 'get_time')`,
    );
    await t.db.database.query(`UPDATE servers SET tool_prefix = 'finance_clash' WHERE id = 'utility'`);
    const client = await connectModern(gw());
    let listed: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      listed = names((await client.listTools()).tools);
      if (!listed.some((name) => name.startsWith('utility_'))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(listed.filter((name) => name === 'finance_clash_tool')).toHaveLength(1);
    const health = await json(await fetch(`${gw()}/health`));
    expect(health.composedProblems.join('\n')).toMatch(/utility\/tool: "finance_clash_tool" is taken by finance\/clash_tool/);
    await client.close();
    await t.db.database.query(`UPDATE servers SET tool_prefix = NULL WHERE id = 'utility'`);
    await t.db.database.query(`DELETE FROM tools WHERE name IN ('clash_tool', 'tool')`);
  });
});

describe.each(backends)('gateway /mcp with TOOLPORT_STRICT_TOOL_NAMES=1 (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50', TOOLPORT_STRICT_TOOL_NAMES: '1' });

  it('leaves out composed names with a "." or over 64 characters (still served on the server’s own path)', async () => {
    await t.db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', 'time.now', 'dotted', '{"type":"object"}', 'get_time'), ('utility', '${'a'.repeat(60)}', 'long', '{"type":"object"}', 'get_time')`,
    );
    const client = await connectModern(t.app.gatewayUrl!);
    let listed: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const own = names((await json(await fetch(`${t.app.urls.utility}/tools`))).tools);
      if (own.includes('time.now')) break;
    }
    listed = names((await client.listTools()).tools);
    expect(listed.every((name) => /^[A-Za-z0-9_-]{1,64}$/.test(name))).toBe(true);
    expect(listed).toContain('utility_get_time');
    expect(listed).not.toContain('utility_time.now');
    expect((await fetch(`${t.app.gatewayUrl}/utility/tools/time.now`)).status).toBe(200);
    await client.close();
  });
});

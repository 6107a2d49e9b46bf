import { describe, expect, it } from 'vitest';
import { auditOf, bearer, connectModernAs, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { connectLegacy, connectModern } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

const names = (list: { name: string }[]) => list.map((tool) => tool.name).sort();
const SEARCH_VIEW = ['calculate_stats', 'call_tool', 'get_server_info', 'get_sub_server_config', 'list_all_servers', 'search_tools'];

function structured(result: unknown): any {
  return (result as { structuredContent: unknown }).structuredContent;
}

/** 5,000 tools of a composed server "bulk", with descriptions that share words with the finance tools. */
const BULK_SQL = `
INSERT INTO servers (id, name, port) VALUES ('bulk', 'Bulk', NULL);
INSERT INTO tools (server_id, name, description, input_schema, handler)
SELECT 'bulk',
       (ARRAY['check','list','update','sync','export','audit','track','count'])[1 + i % 8] || '_' ||
       (ARRAY['inventory','order','invoice','shipment','customer','product','stock_level','ticket'])[1 + (i / 8) % 8] || '_' || i,
       (ARRAY['Check','List','Update','Sync','Export','Audit','Track','Count'])[1 + i % 8] || ' the ' ||
       (ARRAY['inventory of a warehouse','orders of a customer','invoices due this month','shipments in transit',
              'customer accounts','product catalogue entries','stock levels of a store','support tickets'])[1 + (i / 8) % 8] ||
       ' (batch ' || i || ')',
       '{"type":"object"}', 'get_time'
FROM generate_series(1, 5000) AS i;`;

describe.each(backends)('gateway /mcp tool search (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50', TOOLPORT_AUTH: 'local-open' });
  const gw = () => t.app.gatewayUrl!;

  it('past the threshold, lists the management tools and search_tools + call_tool; ranks finance_get_stock_price first among 5,000 more', async () => {
    for (const statement of BULK_SQL.split(';').filter((part) => part.trim())) await t.db.database.query(statement);
    const client = await connectModern(gw());
    let listed: string[] = [];
    for (let attempt = 0; attempt < 100 && !listed.includes('search_tools'); attempt++) {
      listed = names((await client.listTools()).tools);
      if (!listed.includes('search_tools')) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(listed).toEqual(SEARCH_VIEW);

    const found = structured(await client.callTool({ name: 'search_tools', arguments: { query: 'stock price', limit: 5 } }));
    expect(found.tools[0].name).toBe('finance_get_stock_price');
    expect(found.tools[0].inputSchema.type).toBe('object');
    expect(found.tools.length).toBeLessThanOrEqual(5);
    expect(found.totalTools).toBeGreaterThan(5000);

    const quote = await client.callTool({ name: 'call_tool', arguments: { name: 'finance_get_stock_price', arguments: { symbol: 'AAPL' } } });
    expect(quote.isError).toBeFalsy();
    expect(structured(quote).symbol).toBe('AAPL');
    // Still callable directly by name.
    expect((await client.callTool({ name: 'bulk_list_inventory_1', arguments: {} })).isError).toBeFalsy();

    const wrong = await client.callTool({ name: 'call_tool', arguments: { name: 'finance_no_such_tool', arguments: {} } });
    expect(wrong.isError).toBe(true);
    expect(JSON.stringify(wrong.content), JSON.stringify(wrong.content)).toMatch(/search_tools/);
    const badArgs = await client.callTool({ name: 'call_tool', arguments: { name: 'finance_get_stock_price', arguments: { symbol: 5 } } });
    expect(badArgs.isError).toBe(true);
    const empty = await client.callTool({ name: 'search_tools', arguments: { query: '' } });
    expect(empty.isError).toBe(true);
    const recursive = await client.callTool({ name: 'call_tool', arguments: { name: 'call_tool', arguments: {} } });
    expect(recursive.isError).toBe(true);
    await client.close();

    const { client: legacy } = await connectLegacy(gw());
    expect(names((await legacy.listTools()).tools)).toEqual(SEARCH_VIEW);
    await legacy.close();
  });

  it('searches only what the caller may see; call_tool is audited as the tool it calls, with the caller’s scopes', async () => {
    const made = await createKey(t.app, 'bulk-reader', ['bulk:call']);
    const client = await connectModernAs(gw(), made.key);
    expect(names((await client.listTools()).tools)).toEqual(['call_tool', 'search_tools']);
    const found = structured(await client.callTool({ name: 'search_tools', arguments: { query: 'stock price', limit: 10 } }));
    expect(found.tools.length).toBeGreaterThan(0);
    expect(found.tools.every((tool: { name: string }) => tool.name.startsWith('bulk_'))).toBe(true);
    const refused = await client.callTool({ name: 'call_tool', arguments: { name: 'finance_get_stock_price', arguments: { symbol: 'AAPL' } } });
    expect(refused.isError).toBe(true);
    const target = found.tools[0].name as string;
    expect((await client.callTool({ name: 'call_tool', arguments: { name: target, arguments: {} } })).isError).toBeFalsy();
    await client.close();
    const entries = await auditOf(t.app, made.actor);
    expect(entries.find((entry) => entry.action === 'call' && entry.serverId === 'bulk')).toMatchObject({ tool: target.replace(/^bulk_/, ''), outcome: 'ok' });
    expect(bearer(made.key).authorization).toMatch(/^Bearer /);
  });
});

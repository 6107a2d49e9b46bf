import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { connectModern, countModernChanges, QUIET_MS, registerTool, sleep, textOf } from './support.ts';

const FINANCE_TOOLS = ['calculate_portfolio', 'get_financial_news', 'get_stock_price'];
const UTILITY_TOOLS = ['data_processor', 'get_time', 'get_weather', 'text_analyzer'];

describe.each(backends)('MCP 2026-07-28 clients (SDK v2) (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;
  let utility: string;
  const clients: Client[] = [];
  const connect = async (url: string) => {
    const client = await connectModern(url);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db);
    finance = app.urls.finance!;
    utility = app.urls.utility!;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    await app?.stop();
    await db?.dispose();
  });

  it('negotiates 2026-07-28 through server/discover and names the server', async () => {
    const client = await connect(finance);
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(client.getServerVersion()).toMatchObject({ name: 'toolport-finance' });
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
  });

  it("lists exactly each server's tools, with their schemas (finance tools never on utility)", async () => {
    const financeTools = (await (await connect(finance)).listTools()).tools;
    const utilityTools = (await (await connect(utility)).listTools()).tools;
    expect(financeTools.map((tool) => tool.name)).toEqual(FINANCE_TOOLS);
    expect(utilityTools.map((tool) => tool.name)).toEqual(UTILITY_TOOLS);
    const price = financeTools.find((tool) => tool.name === 'get_stock_price')!;
    expect(price.inputSchema).toMatchObject({ type: 'object', required: ['symbol'] });
    expect(price.outputSchema).toMatchObject({ type: 'object' });
    expect(price.annotations).toMatchObject({ readOnlyHint: true });
    expect(price.title).toBe('Get stock price');
  });

  it('calls a tool: text content plus structuredContent matching its output schema', async () => {
    const result = await (await connect(finance)).callTool({ name: 'get_stock_price', arguments: { symbol: 'aapl' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ symbol: 'AAPL', price: expect.any(Number) });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  it('invalid arguments are an isError result naming the field path', async () => {
    const client = await connect(finance);
    const wrongType = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/\/arguments\/symbol: /);
    const missing = await client.callTool({ name: 'get_stock_price', arguments: {} });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/symbol/);
    const unknownTicker = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'ZZZZ' } });
    expect(unknownTicker.isError).toBe(true);
    expect(textOf(unknownTicker)).toMatch(/\/arguments\/symbol: unknown symbol "ZZZZ"/);
  });

  it('an unknown tool, or a tool of the other server, is a protocol error (-32602)', async () => {
    const client = await connect(finance);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    await expect(client.callTool({ name: 'get_time', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/No tool named "get_time" on server "finance"/),
    });
  });

  it('listen streams hear list_changed for their own port only, and every subscriber hears it', async () => {
    const first = await connect(finance);
    const second = await connect(finance);
    const onUtility = await connect(utility);
    const firstChanges = countModernChanges(first);
    const secondChanges = countModernChanges(second);
    const utilityChanges = countModernChanges(onUtility);
    await Promise.all([first, second, onUtility].map((client) => client.listen({ toolsListChanged: true })));

    await registerTool(utility, 'modern_on_utility');
    await utilityChanges.reach(1);
    await sleep(QUIET_MS);
    expect(firstChanges.count).toBe(0);
    expect(secondChanges.count).toBe(0);

    await registerTool(finance, 'modern_on_finance');
    await Promise.all([firstChanges.reach(1), secondChanges.reach(1)]);
    await sleep(QUIET_MS);
    expect(utilityChanges.count).toBe(1);
    expect((await first.listTools()).tools.map((tool) => tool.name)).toContain('modern_on_finance');
  });

  it('a burst of changes is coalesced, never lost: the last state is listed after the notifications', async () => {
    const client = await connect(utility);
    const changes = countModernChanges(client);
    await client.listen({ toolsListChanged: true });
    await Promise.all(['burst_a', 'burst_b', 'burst_c'].map((name) => registerTool(utility, name)));
    await changes.reach(1);
    await sleep(QUIET_MS);
    expect(changes.count).toBeLessThanOrEqual(3);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['burst_a', 'burst_b', 'burst_c']));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { connectLegacy, countLegacyChanges, INITIALIZE, type LegacyConnection, postMcp, QUIET_MS, registerTool, sleep, textOf } from './support.ts';

describe.each(backends)('MCP 2025-era clients (SDK v1, sessions) (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;
  let utility: string;
  const connections: LegacyConnection[] = [];
  const connect = async (url: string) => {
    const connection = await connectLegacy(url);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db);
    finance = app.urls.finance!;
    utility = app.urls.utility!;
  });
  afterAll(async () => {
    await Promise.all(connections.map(({ client }) => client.close().catch(() => {})));
    await app?.stop();
    await db?.dispose();
  });

  it('initializes a session at 2025-11-25 and lists exactly that server’s tools', async () => {
    const { client, transport } = await connect(finance);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()).toMatchObject({ name: 'toolport-finance' });
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
    const onUtility = await connect(utility);
    const utilityNames = (await onUtility.client.listTools()).tools.map((tool) => tool.name);
    expect(utilityNames).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
  });

  it('calls tools; bad arguments are isError with the field path; an unknown tool is -32602', async () => {
    const { client } = await connect(finance);
    const ok = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'MSFT' } });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toMatchObject({ symbol: 'MSFT' });
    const bad = await client.callTool({ name: 'calculate_portfolio', arguments: { positions: 'all of them' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/\/arguments\/positions: /);
    await expect(client.callTool({ name: 'get_weather', arguments: { city: 'Paris' } })).rejects.toMatchObject({ code: -32602 });
  });

  it('sessions get list_changed on their GET stream for their own port only, every session', async () => {
    const first = await connect(utility);
    const second = await connect(utility);
    const onFinance = await connect(finance);
    const firstChanges = countLegacyChanges(first.client);
    const secondChanges = countLegacyChanges(second.client);
    const financeChanges = countLegacyChanges(onFinance.client);
    await sleep(100); // the v1 client opens its GET stream right after initialized

    await registerTool(finance, 'legacy_on_finance');
    await financeChanges.reach(1);
    await sleep(QUIET_MS);
    expect(firstChanges.count).toBe(0);
    expect(secondChanges.count).toBe(0);

    await registerTool(utility, 'legacy_on_utility');
    await Promise.all([firstChanges.reach(1), secondChanges.reach(1)]);
    expect((await first.client.listTools()).tools.map((tool) => tool.name)).toContain('legacy_on_utility');

    // Disable and delete are changes too.
    const disabled = await fetch(`${utility}/tools/legacy_on_utility`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(disabled.status).toBe(200);
    await firstChanges.reach(2);
    expect((await first.client.listTools()).tools.map((tool) => tool.name)).not.toContain('legacy_on_utility');
    expect((await fetch(`${utility}/tools/legacy_on_utility`, { method: 'DELETE' })).status).toBeLessThan(300);
    await firstChanges.reach(3);
    await sleep(QUIET_MS);
    expect(financeChanges.count).toBe(1);
  });

  it('DELETE ends a session; its id then gets 404', async () => {
    const { transport } = await connect(finance);
    const id = transport.sessionId!;
    await transport.terminateSession();
    const after = await postMcp(finance, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32001 } });
    const deleteAgain = await fetch(`${finance}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': id } });
    expect(deleteAgain.status).toBe(404);
  });

  it('a request without a session id that is not initialize is refused with 400', async () => {
    const response = await postMcp(finance, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: 3, error: { message: expect.stringMatching(/initialize/) } });
  });
});

describe('MCP 2025-era session limits', () => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    app = await startTestToolport(db, { TOOLPORT_MCP_MAX_SESSIONS: '2', TOOLPORT_MCP_SESSION_IDLE_MS: '300' });
    finance = app.urls.finance!;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  const initialize = async () => {
    const response = await postMcp(finance, INITIALIZE);
    await response.body?.cancel();
    return response;
  };

  it('refuses sessions past TOOLPORT_MCP_MAX_SESSIONS with a clear 503, and frees a slot on DELETE', async () => {
    const first = await initialize();
    const second = await initialize();
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await postMcp(finance, INITIALIZE);
    expect(third.status).toBe(503);
    const body = (await third.json()) as { error: { message: string } };
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: -32000 } });
    expect(body.error.message).toMatch(/TOOLPORT_MCP_MAX_SESSIONS=2/);

    const ended = await fetch(`${finance}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': first.headers.get('mcp-session-id')! } });
    expect(ended.status).toBe(200);
    expect((await initialize()).status).toBe(200);
  });

  it('expires idle sessions (404 afterwards) but keeps a session whose GET stream is open', async () => {
    await sleep(700); // let the sessions of the previous test expire
    const idle = await initialize();
    const listening = await connectLegacy(finance);
    const idleId = idle.headers.get('mcp-session-id')!;
    await sleep(900); // 3× the idle time
    const expired = await postMcp(finance, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': idleId, 'mcp-protocol-version': '2025-11-25' });
    expect(expired.status).toBe(404);
    expect((await listening.client.listTools()).tools.length).toBe(3);
    await listening.client.close();
  });
});

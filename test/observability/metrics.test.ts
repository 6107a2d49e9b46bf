import { describe, expect, it } from 'vitest';
import { restClient } from '../http/access-support.ts';
import { ADMIN_TOKEN, bearer, connectLegacyAs, connectModernAs, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

const admin = bearer(ADMIN_TOKEN);
const PORTFOLIO = { name: 'calculate_portfolio', arguments: { positions: [{ symbol: 'AAPL', quantity: 1, price: 100 }] } };

/** The value of one series in a Prometheus text exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** GET /metrics: Prometheus figures of the process, admin only unless TOOLPORT_METRICS_OPEN=1. */
describe.each(backends)('/metrics (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50' });
  const { send } = restClient();
  const scrape = async (url = t.app.urls.finance!) => {
    const response = await fetch(`${url}/metrics`, { headers: admin });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it('counts tool calls by server, tool and outcome (REST and MCP alike), times them, and counts requests by route pattern', async () => {
    const before = sample(await scrape(), 'toolport_tool_calls_total', { server: 'finance', tool: 'calculate_portfolio', outcome: 'ok' }) ?? 0;
    for (let i = 0; i < 2; i++) expect((await send(`${t.app.urls.finance}/tools/call`, 'POST', PORTFOLIO, admin)).status).toBe(200);
    const client = await connectModernAs(t.app.urls.finance!, ADMIN_TOKEN);
    await client.callTool(PORTFOLIO);
    await client.close();
    await send(`${t.app.urls.finance}/tools/call`, 'POST', { name: 'no_such_tool', arguments: {} }, admin);
    await send(`${t.app.urls.finance}/tools/call`, 'POST', { name: 'calculate_portfolio', arguments: { positions: 'none' } }, admin);
    await send(`${t.app.urls.finance}/no/such/route`, 'GET', undefined, admin);

    const text = await scrape();
    expect(sample(text, 'toolport_tool_calls_total', { server: 'finance', tool: 'calculate_portfolio', outcome: 'ok' })).toBe(before + 3);
    expect(sample(text, 'toolport_tool_calls_total', { server: 'finance', tool: '(unknown)', outcome: 'not_found' })).toBe(1);
    expect(sample(text, 'toolport_tool_calls_total', { server: 'finance', tool: 'calculate_portfolio', outcome: 'bad_request' })).toBe(1);
    expect(text).not.toContain('no_such_tool');
    expect(sample(text, 'toolport_tool_call_duration_seconds_count', { server: 'finance' })).toBeGreaterThanOrEqual(before + 5);
    expect(sample(text, 'toolport_tool_call_duration_seconds_bucket', { server: 'finance', le: '0.0001' })).toBeDefined();
    expect(sample(text, 'toolport_http_requests_total', { server: 'finance', route: '/tools/call', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'toolport_http_requests_total', { server: 'finance', route: '/tools/call', status: '404' })).toBe(1);
    expect(sample(text, 'toolport_http_requests_total', { server: 'finance', route: '(unmatched)', status: '404' })).toBe(1);
    expect(text).not.toContain('/no/such/route');
    expect(sample(text, 'toolport_http_requests_total', { server: 'finance', route: '/mcp', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('shows the registry, the database, the MCP sessions and listen streams, the change feed and the process', async () => {
    const legacy = await connectLegacyAs(t.app.urls.utility!, ADMIN_TOKEN);
    const modern = await connectModernAs(t.app.urls.utility!, ADMIN_TOKEN);
    await (modern as unknown as { listen(options: unknown): Promise<void> }).listen({ toolsListChanged: true });
    const text = await scrape();
    expect(sample(text, 'toolport_registry_tools', { server: 'finance', available: 'true' })).toBe(3);
    expect(sample(text, 'toolport_registry_tools', { server: 'utility', available: 'false' })).toBe(0);
    expect(sample(text, 'toolport_db_up')).toBe(1);
    expect(sample(text, 'toolport_mcp_sessions', { server: 'utility', era: '2025' })).toBe(1);
    expect(sample(text, 'toolport_mcp_listen_streams', { server: 'utility' })).toBe(1);
    expect(sample(text, 'toolport_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'toolport_cpu_pool_queued')).toBe(0);
    // A session ends with its DELETE (terminateSession), not with the client's close.
    await legacy.transport.terminateSession();
    await legacy.client.close();
    await modern.close();

    const applied = sample(text, 'toolport_registry_changes_applied_total') ?? 0;
    await t.db.database.query(`UPDATE tools SET description = 'Edited for the metrics test' WHERE server_id = 'utility' AND name = 'get_time'`);
    await waitFor(async () => (sample(await scrape(), 'toolport_registry_changes_applied_total') ?? 0) > applied, 'the SQL edit to be applied');
    const after = await scrape();
    expect(sample(after, 'toolport_change_feed_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'toolport_mcp_sessions', { server: 'utility', era: '2025' })).toBe(0);
  });

  it('is on the gateway too, with the same figures', async () => {
    const text = await scrape(t.app.gatewayUrl);
    expect(sample(text, 'toolport_registry_tools', { server: 'finance', available: 'true' })).toBe(3);
  });

  it('needs the admin scope: missing, wrong, revoked and non-admin credentials are refused', async () => {
    expect((await send(`${t.app.urls.finance}/metrics`)).status).toBe(401);
    expect((await send(`${t.app.urls.finance}/metrics`, 'GET', undefined, bearer('tp_wrong_key_0123456789'))).status).toBe(401);
    const caller = await createKey(t.app, 'metrics-caller', ['*:call', '*:write']);
    const refused = await send(`${t.app.urls.finance}/metrics`, 'GET', undefined, bearer(caller.key));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/admin/);
    const owner = await createKey(t.app, 'metrics-admin', ['admin']);
    expect((await fetch(`${t.app.urls.finance}/metrics`, { headers: bearer(owner.key) })).status).toBe(200);
    await t.app.toolport.access.keys.revoke('admin-token', owner.id);
    expect((await send(`${t.app.urls.finance}/metrics`, 'GET', undefined, bearer(owner.key))).status).toBe(401);
  });
});

describe('/metrics with TOOLPORT_METRICS_OPEN=1', () => {
  const t = useToolport('pglite', { ...KEYED_ENV, TOOLPORT_METRICS_OPEN: '1' });
  it('answers a scraper without a credential; the rest of the API still asks for one', async () => {
    const response = await fetch(`${t.app.urls.utility}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('toolport_registry_tools');
    expect((await fetch(`${t.app.urls.utility}/tools`)).status).toBe(401);
  });
});

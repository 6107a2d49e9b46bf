/**
 * Phase `gateway`: what serving a server through TOOLPORT_GATEWAY_PORT costs.
 * The same requests on finance's own port and on the gateway (`/finance/…`,
 * and the composed `/mcp` by the prefixed name), interleaved runs at c=32;
 * the target: gateway ≥ 0.95 × the port's throughput. Then `search_tools`
 * on the composed `/mcp` over 10,000 more tools, at c=1: p99 < 5 ms.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import type { LoadRequest } from '../lib/load-types.ts';
import { measureSides, ratio, type Side } from '../lib/measure.ts';
import { pushSoloRow } from '../lib/overhead.ts';
import { freePort } from '../lib/ports.ts';
import { capture, check, modern, PORTFOLIO_ARGS, PORTFOLIO_TOOL, restCall, restList, type Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const GATEWAY_CONNECTIONS = 32;
export const GATEWAY_TARGET_RATIO = 0.95;
export const SEARCH_TOOLS = 10_000;
export const SEARCH_P99_MS = 5;
export const SEARCH_CASE = { id: 'mcp_search_tools_10k', label: 'MCP search_tools over 10,000 composed tools (gateway /mcp)' } as const;
export const GATEWAY_CASES = [
  { id: 'rest_call_gateway', label: 'REST POST /finance/tools/call through the gateway' },
  { id: 'rest_list_gateway', label: 'REST GET /finance/tools through the gateway' },
  { id: 'mcp_call_modern_gateway', label: 'MCP 2026-07-28 tools/call on /finance/mcp through the gateway' },
  { id: 'mcp_call_modern_composed', label: 'MCP 2026-07-28 tools/call finance_calculate_portfolio on the composed /mcp' },
] as const;

async function side(url: string, template: Template, what: string, ok: (json: any) => boolean): Promise<Side> {
  const captured = await capture(url, template);
  check(captured.status === 200 && ok(captured.json), what, captured);
  const request: LoadRequest = { ...template, expect: { status: 200, body: captured.template } };
  return { target: 'toolport', url, requests: [request], requestsPerUnit: 1, bodyBytesPerUnit: Buffer.byteLength(captured.body) };
}

const portfolio = (result: any) => result?.structuredContent?.totalValue === 1900;

/** The gateway answers once the server manager has started it, just after the ports: wait for it. */
async function gatewayUp(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`the gateway at ${url} did not answer /health`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const BULK_SQL = `
  INSERT INTO tools (server_id, name, description, input_schema, handler)
  SELECT 'bulksearch',
         (ARRAY['check','list','update','sync','export','audit','track','count'])[1 + i % 8] || '_' ||
         (ARRAY['inventory','order','invoice','shipment','customer','product','stock_level','ticket'])[1 + (i / 8) % 8] || '_' || i,
         (ARRAY['Check','List','Update','Sync','Export','Audit','Track','Count'])[1 + i % 8] || ' the ' ||
         (ARRAY['inventory of a warehouse','orders of a customer','invoices due this month','shipments in transit',
                'customer accounts','product catalogue entries','stock levels of a store','support tickets'])[1 + (i / 8) % 8] || ' (batch ' || i || ')',
         '{"type":"object"}', 'get_time'
  FROM generate_series(1, ${SEARCH_TOOLS}) AS i`;

export async function gateway(bench: Bench): Promise<void> {
  log('\n== gateway (the same requests on a server’s own port and through TOOLPORT_GATEWAY_PORT)');
  const gatewayPort = await freePort();
  // A composed server of 10,000 tools without a port (served on the gateway only), for search_tools; selected beside finance.
  await bench.db.query(`DELETE FROM servers WHERE id = 'bulksearch'`);
  await bench.db.query(`INSERT INTO servers (id, name, port) VALUES ('bulksearch', 'Bulk search', NULL)`);
  await bench.db.query(BULK_SQL);
  try {
    await using(
      await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], alsoServe: ['bulksearch'], env: { TOOLPORT_GATEWAY_PORT: String(gatewayPort) } }),
      (toolport) => measureGateway(bench, toolport, `http://127.0.0.1:${gatewayPort}`),
    );
  } finally {
    await bench.db.query(`DELETE FROM servers WHERE id = 'bulksearch'`);
  }
}

async function measureGateway(bench: Bench, toolport: Awaited<ReturnType<typeof startToolport>>, gw: string): Promise<void> {
  const port = toolport.urls.finance;
  await gatewayUp(gw);
  const listOk = (json: any) => Array.isArray(json?.tools) && json.tools.length >= 3;
  const call = modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL);
  const composed = modern('tools/call', { name: `finance_${PORTFOLIO_TOOL}`, arguments: PORTFOLIO_ARGS }, `finance_${PORTFOLIO_TOOL}`);
  const pairs = [
    {
      ...GATEWAY_CASES[0],
      port: await side(port, restCall(), 'REST call, port', portfolio),
      through: await side(`${gw}/finance`, restCall(), 'REST call, gateway', portfolio),
    },
    {
      ...GATEWAY_CASES[1],
      port: await side(port, restList(), 'REST list, port', listOk),
      through: await side(`${gw}/finance`, restList(), 'REST list, gateway', listOk),
    },
    {
      ...GATEWAY_CASES[2],
      port: await side(port, call, 'MCP call, port', (json) => portfolio(json?.result)),
      through: await side(`${gw}/finance`, call, 'MCP call, gateway', (json) => portfolio(json?.result)),
    },
    {
      ...GATEWAY_CASES[3],
      port: await side(port, call, 'MCP call, port', (json) => portfolio(json?.result)),
      through: await side(gw, composed, 'MCP call, composed', (json) => portfolio(json?.result)),
    },
  ];
  for (const pair of pairs) {
    log(`  ${pair.label}: port, then gateway (interleaved), c=${GATEWAY_CONNECTIONS}`);
    const [onPort, through] = await measureSides(bench.generator, [pair.port, pair.through], GATEWAY_CONNECTIONS, bench.settings, log);
    const gatewayOverPort = ratio(through, onPort);
    bench.gatewayRatios.set(pair.id, gatewayOverPort);
    log(`    gateway / port: ${gatewayOverPort === null ? 'no ratio (errors)' : `${gatewayOverPort.toFixed(3)} ×`}`);
    bench.results.loads.push({
      id: pair.id,
      label: pair.label,
      connections: GATEWAY_CONNECTIONS,
      toolport: through!,
      ratioFloor: null,
      ratioSdk: null,
      rssAfterMb: toolport.rss(),
      baselineRssMb: {},
      notes: [
        `the same on the server's own port: ${onPort?.rps ? `${Math.round(onPort.rps)} req/s` : onPort?.error}; gateway / port ${gatewayOverPort === null ? '–' : `${gatewayOverPort.toFixed(3)} ×`}`,
      ],
    });
  }

  log(`  ${SEARCH_CASE.label}, c=1`);
  const search = modern('tools/call', { name: 'search_tools', arguments: { query: 'stock price', limit: 10 } }, 'search_tools');
  const searchSide = await side(gw, search, 'search_tools', (json) => json?.result?.structuredContent?.tools?.[0]?.name === 'finance_get_stock_price');
  const [figure] = await measureSides(bench.generator, [searchSide], 1, bench.settings, log);
  bench.searchFigure = figure ?? null;
  log(`    search_tools p50 ${figure?.p50Ms?.toFixed(2)} ms, p99 ${figure?.p99Ms?.toFixed(2)} ms`);
  if (figure) pushSoloRow(bench, { id: SEARCH_CASE.id, label: SEARCH_CASE.label, figure, rssAfterMb: toolport.rss() });
}

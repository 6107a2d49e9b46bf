/**
 * Phase `gateway`: what serving a server through TOOLPORT_GATEWAY_PORT costs.
 * The same requests on finance's own port and on the gateway (`/finance/…`,
 * and the composed `/mcp` by the prefixed name), interleaved runs at c=32;
 * the target: gateway ≥ 0.95 × the port's throughput. Then `search_tools`
 * on the composed `/mcp` over 10,000 more tools (a gateway-only server), at
 * c=1: p99 < 5 ms — one query repeated (what the issue names; its ranked
 * list is cached after the first search) and distinct queries (each one
 * runs the index), and the composed call again with those 10,000 tools
 * composed (the composed /mcp then lists search_tools + call_tool).
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import type { LoadRequest } from '../lib/load-types.ts';
import { type Figure, measureSides, ratio, type Side } from '../lib/measure.ts';
import { pushSoloRow } from '../lib/overhead.ts';
import { capturedSide, modern, PORTFOLIO_ARGS, PORTFOLIO_TOOL, restCall, restList, type Template } from '../lib/requests.ts';
import { type RunningToolport, settledRss, startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const GATEWAY_CONNECTIONS = 32;
export const GATEWAY_TARGET_RATIO = 0.95;
const GATEWAY_RUNS = 3;
export const SEARCH_TOOLS = 10_000;
export const SEARCH_P99_MS = 5;
/** Distinct queries of the second search row: more than the index's cache of ranked lists keeps (256). */
const DISTINCT_QUERIES = 400;
export const GATEWAY_CASES = [
  { id: 'rest_call_gateway', label: 'REST POST /finance/tools/call through the gateway' },
  { id: 'rest_list_gateway', label: 'REST GET /finance/tools through the gateway' },
  { id: 'mcp_call_modern_gateway', label: 'MCP 2026-07-28 tools/call on /finance/mcp through the gateway' },
  { id: 'mcp_list_modern_gateway', label: 'MCP 2026-07-28 tools/list on /finance/mcp through the gateway' },
  { id: 'mcp_call_modern_composed', label: 'MCP 2026-07-28 tools/call finance_calculate_portfolio on the gateway’s composed /mcp' },
  {
    id: 'mcp_call_modern_composed_search',
    label: `MCP 2026-07-28 tools/call finance_calculate_portfolio on the composed /mcp, ${SEARCH_TOOLS.toLocaleString('en')} more composed tools (search on)`,
  },
] as const;
export const SEARCH_CASES = [
  { id: 'mcp_search_tools_10k', label: 'MCP search_tools "stock price" over 10,000 composed tools (gateway /mcp)' },
  { id: 'mcp_search_tools_10k_distinct', label: `MCP search_tools, ${DISTINCT_QUERIES} distinct queries in turn, over 10,000 composed tools (gateway /mcp)` },
] as const;

/** The gateway-only server holding the search rows' tools. */
const BULK_SERVER = 'bulksearch';
const VERBS = ['check', 'list', 'update', 'sync', 'export', 'audit', 'track', 'count'];
const NOUNS = ['inventory', 'order', 'invoice', 'shipment', 'customer', 'product', 'stock_level', 'ticket'];
const PHRASES = [
  'inventory of a warehouse',
  'orders of a customer',
  'invoices due this month',
  'shipments in transit',
  'customer accounts',
  'product catalogue entries',
  'stock levels of a store',
  'support tickets',
];
const QUALIFIERS = [
  'daily',
  'weekly',
  'monthly',
  'regional',
  'archived',
  'pending',
  'overdue',
  'priority',
  'wholesale',
  'retail',
  'seasonal',
  'domestic',
  'international',
];
const sqlArray = (words: string[]) => `ARRAY[${words.map((word) => `'${word}'`).join(',')}]`;
const capitalized = (word: string) => word[0]!.toUpperCase() + word.slice(1);
/**
 * 10,000 tools in one INSERT … SELECT: varied names and descriptions
 * (8 verbs × 8 nouns × 13 qualifiers), 1 in 8 with "stock" in its name and
 * description (so "stock price" has 1,250 partial matches to rank, and only
 * finance_get_stock_price matches both words).
 */
const BULK_SQL = `
  INSERT INTO tools (server_id, name, description, input_schema, handler)
  SELECT '${BULK_SERVER}',
         (${sqlArray(VERBS)})[1 + i % 8] || '_' || (${sqlArray(NOUNS)})[1 + (i / 8) % 8] || '_' || i,
         (${sqlArray(VERBS.map(capitalized))})[1 + i % 8] || ' the ' || (${sqlArray(QUALIFIERS)})[1 + (i / 64) % 13] || ' ' ||
           (${sqlArray(PHRASES)})[1 + (i / 8) % 8] || ' (batch ' || i || ')',
         '{"type":"object"}', 'get_time'
  FROM generate_series(1, ${SEARCH_TOOLS}) AS i`;

function under(prefix: string, template: Template): Template {
  return { ...template, path: `${prefix}${template.path}` };
}

const portfolio = (result: any) => result?.isError !== true && result?.structuredContent?.totalValue === 1900;
const mcpPortfolio = (json: any) => portfolio(json?.result);
const restTools = (json: any) => Array.isArray(json?.tools) && json.tools.length === 3;
const mcpTools = (json: any) => Array.isArray(json?.result?.tools) && json.result.tools.length === 3;

/** search_tools' answer: structuredContent, or the JSON text of its first content block. */
function searchHits(json: any): { name?: string }[] | undefined {
  const result = json?.result;
  if (!result || result.isError) return undefined;
  const content = result.structuredContent ?? (typeof result.content?.[0]?.text === 'string' ? JSON.parse(result.content[0].text) : undefined);
  return Array.isArray(content?.tools) ? content.tools : undefined;
}

const searchRequest = (query: string) => modern('tools/call', { name: 'search_tools', arguments: { query, limit: 10 } }, 'search_tools');

export async function gateway(bench: Bench): Promise<void> {
  log('\n== gateway (the same requests on a server’s own port and through TOOLPORT_GATEWAY_PORT)');
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], gateway: true }), async (toolport) => {
    bench.results.memory.samples.push({ when: 'idle after start, finance + gateway', tools: 3, rssMb: await settledRss(toolport) });
    await measurePairs(bench, toolport, await pathPairs(toolport.urls.finance, toolport.gatewayUrl!));
  });
  log(`\n== gateway: search_tools over ${SEARCH_TOOLS.toLocaleString('en')} tools of a gateway-only composed server`);
  await bench.db.query(`DELETE FROM servers WHERE id = '${BULK_SERVER}'`);
  await bench.db.query(`INSERT INTO servers (id, name, description, port) VALUES ('${BULK_SERVER}', 'Bulk search', 'Search bench tools', NULL)`);
  await bench.db.query(BULK_SQL);
  await bench.db.release();
  try {
    await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], alsoServe: [BULK_SERVER], gateway: true }), async (toolport) => {
      bench.results.memory.samples.push({
        when: `idle after start, finance + ${SEARCH_TOOLS.toLocaleString('en')} gateway-only tools`,
        tools: SEARCH_TOOLS + 3,
        rssMb: await settledRss(toolport),
      });
      await measureSearch(bench, toolport, toolport.gatewayUrl!);
      await measurePairs(bench, toolport, [await composedPair(GATEWAY_CASES[5], toolport.urls.finance, toolport.gatewayUrl!)]);
    });
  } finally {
    // Tools go with their server (ON DELETE CASCADE).
    await bench.db.query(`DELETE FROM servers WHERE id = '${BULK_SERVER}'`);
    await bench.db.release();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Gateway ÷ port of the median runs: less swayed than the best runs by one lucky or unlucky run. */
function medianRatio(through: Figure | undefined, onPort: Figure | undefined): string {
  if (!through?.ok || !onPort?.ok) return '–';
  return `${(median(through.runs.map((run) => run.rps)) / median(onPort.runs.map((run) => run.rps))).toFixed(3)} ×`;
}

interface Pair {
  id: string;
  label: string;
  port: Side;
  through: Side;
}

const call = () => modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL);

/** The port's tools/call against the same call by its composed name on the gateway's /mcp. */
async function composedPair(spec: { id: string; label: string }, port: string, gw: string): Promise<Pair> {
  const composedName = `finance_${PORTFOLIO_TOOL}`;
  const composed = modern('tools/call', { name: composedName, arguments: PORTFOLIO_ARGS }, composedName);
  return {
    ...spec,
    port: await capturedSide(port, call(), 'MCP call, port', mcpPortfolio),
    through: await capturedSide(gw, composed, 'MCP call by the composed name', mcpPortfolio),
  };
}

async function pathPairs(port: string, gw: string): Promise<Pair[]> {
  const list = modern('tools/list', {});
  return [
    {
      ...GATEWAY_CASES[0],
      port: await capturedSide(port, restCall(), 'REST call, port', portfolio),
      through: await capturedSide(gw, under('/finance', restCall()), 'REST call, gateway', portfolio),
    },
    {
      ...GATEWAY_CASES[1],
      port: await capturedSide(port, restList(), 'REST list, port', restTools),
      through: await capturedSide(gw, under('/finance', restList()), 'REST list, gateway', restTools),
    },
    {
      ...GATEWAY_CASES[2],
      port: await capturedSide(port, call(), 'MCP call, port', mcpPortfolio),
      through: await capturedSide(gw, under('/finance', call()), 'MCP call, gateway', mcpPortfolio),
    },
    {
      ...GATEWAY_CASES[3],
      port: await capturedSide(port, list, 'MCP list, port', mcpTools),
      through: await capturedSide(gw, under('/finance', list), 'MCP list, gateway', mcpTools),
    },
    await composedPair(GATEWAY_CASES[4], port, gw),
  ];
}

async function measurePairs(bench: Bench, toolport: RunningToolport, pairs: Pair[]): Promise<void> {
  // A 5 % target on a machine whose speed drifts run to run: at least GATEWAY_RUNS interleaved runs per side.
  const settings = { ...bench.settings, runs: Math.max(bench.settings.runs, GATEWAY_RUNS) };
  for (const pair of pairs) {
    log(`  ${pair.label}: port and gateway (interleaved, in alternating order), c=${GATEWAY_CONNECTIONS}`);
    const [onPort, through] = await measureSides(bench.generator, [pair.port, pair.through], GATEWAY_CONNECTIONS, settings, log, { alternate: true });
    const gatewayOverPort = ratio(through, onPort);
    bench.gatewayRatios.set(pair.id, gatewayOverPort);
    log(`    gateway / port: ${gatewayOverPort === null ? 'no ratio (errors)' : `${gatewayOverPort.toFixed(3)} ×`}`);
    pushSoloRow(bench, {
      id: pair.id,
      label: pair.label,
      figure: through!,
      rssAfterMb: toolport.rss(),
      notes: [
        `${pair.label}: on the server's own port ${onPort?.ok ? `${Math.round(onPort.rps!)} req/s` : onPort?.error}; gateway / port ${gatewayOverPort === null ? '–' : `${gatewayOverPort.toFixed(3)} ×`} (best runs; medians of the ${settings.runs} runs: ${medianRatio(through, onPort)})`,
      ],
    });
  }
}

async function measureSearch(bench: Bench, toolport: RunningToolport, gw: string): Promise<void> {
  const repeated = await capturedSide(
    gw,
    searchRequest('stock price'),
    'search_tools "stock price"',
    (json) => searchHits(json)?.[0]?.name === 'finance_get_stock_price',
  );
  // Every query distinct (verb × qualifier × noun): each one misses the cache and runs the index.
  const queries = Array.from(
    { length: DISTINCT_QUERIES },
    (_, i) => `${VERBS[i % 8]} ${QUALIFIERS[Math.floor(i / 64) % 13]} ${NOUNS[Math.floor(i / 8) % 8]!.replace('_', ' ')}`,
  );
  const requests: LoadRequest[] = [];
  let bytes = 0;
  for (const query of queries) {
    const one = await capturedSide(gw, searchRequest(query), `search_tools "${query}"`, (json) => (searchHits(json)?.length ?? 0) > 0);
    requests.push(...one.requests);
    bytes += one.bodyBytesPerUnit;
  }
  const distinct: Side = { target: 'toolport', url: gw, requests, requestsPerUnit: 1, bodyBytesPerUnit: Math.round(bytes / requests.length) };
  for (const [index, searchSide] of [repeated, distinct].entries()) {
    const { id, label } = SEARCH_CASES[index]!;
    log(`  ${label}, c=1`);
    const [figure] = await measureSides(bench.generator, [searchSide], 1, bench.settings, log);
    log(`    p50 ${figure?.p50Ms?.toFixed(2)} ms, p99 ${figure?.p99Ms?.toFixed(2)} ms`);
    if (figure) pushSoloRow(bench, { id, label, figure, rssAfterMb: toolport.rss() });
  }
}

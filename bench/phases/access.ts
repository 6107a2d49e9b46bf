/**
 * Phase `access`: what a credential costs on the call path. The same
 * tools/call (calculate_portfolio) on one server, sent without a credential
 * (loopback, TOOLPORT_AUTH=local-open: the open path) and with an API key
 * (`Authorization: Bearer tp_…`, scope finance:call: the key ring resolves
 * it in memory, the scope check, the audit entry — both paths are audited),
 * REST and MCP 2026-07-28, at c=32, interleaved runs. The target compares
 * their throughputs: keyed ≥ 0.9 × open.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { measureSides, ratio } from '../lib/measure.ts';
import { capturedSide, modern, PORTFOLIO_ARGS, PORTFOLIO_TOOL, restCall, type Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

/** Ids of the rows this phase adds and of the target (bench/verdicts.ts). */
export const ACCESS_CONNECTIONS = 32;
export const ACCESS_TARGET_RATIO = 0.9;
export const ACCESS_CASES = [
  { id: 'rest_call_keyed', label: 'REST POST /tools/call with an API key' },
  { id: 'mcp_call_modern_keyed', label: 'MCP 2026-07-28 tools/call with an API key' },
] as const;

async function createKey(url: string): Promise<string> {
  const response = await fetch(`${url}/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-agent', scopes: ['finance:call'] }),
  });
  const body = (await response.json()) as { key?: string };
  if (response.status !== 201 || typeof body.key !== 'string') throw new Error(`POST /keys: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.key;
}

function withKey(template: Template, key: string): Template {
  return { ...template, headers: { ...template.headers, authorization: `Bearer ${key}` } };
}

const portfolio = (result: any) => result?.structuredContent?.totalValue === 1900;

export async function access(bench: Bench): Promise<void> {
  log('\n== access (the same call without a credential and with an API key)');
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), async (toolport) => {
    const url = toolport.urls.finance;
    const key = await createKey(url);
    const rest = restCall();
    const mcp = modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL);
    const pairs = [
      {
        ...ACCESS_CASES[0],
        open: await capturedSide(url, rest, 'REST call, open', portfolio),
        keyed: await capturedSide(url, withKey(rest, key), 'REST call, keyed', portfolio),
      },
      {
        ...ACCESS_CASES[1],
        open: await capturedSide(url, mcp, 'MCP call, open', (json) => portfolio(json?.result)),
        keyed: await capturedSide(url, withKey(mcp, key), 'MCP call, keyed', (json) => portfolio(json?.result)),
      },
    ];
    for (const pair of pairs) {
      log(`  ${pair.label}: open, then keyed (interleaved), c=${ACCESS_CONNECTIONS}`);
      const [open, keyed] = await measureSides(bench.generator, [pair.open, pair.keyed], ACCESS_CONNECTIONS, bench.settings, log);
      const keyedOverOpen = ratio(keyed, open);
      bench.accessRatios.set(pair.id, keyedOverOpen);
      log(`    keyed / open: ${keyedOverOpen === null ? 'no ratio (errors)' : `${keyedOverOpen.toFixed(2)} ×`}`);
      bench.results.loads.push({
        id: pair.id,
        label: pair.label,
        connections: ACCESS_CONNECTIONS,
        toolport: keyed!,
        ratioFloor: null,
        ratioSdk: null,
        rssAfterMb: toolport.rss(),
        baselineRssMb: {},
        notes: [
          `the same call without a credential (loopback, local-open): ${open?.rps ? `${Math.round(open.rps)} req/s` : open?.error}; keyed / open ${keyedOverOpen === null ? '–' : `${keyedOverOpen.toFixed(2)} ×`}`,
        ],
      });
    }
  });
}

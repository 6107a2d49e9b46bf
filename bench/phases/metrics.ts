/**
 * Phase `metrics`: what recording Prometheus metrics costs on the call path.
 * The same calls (REST /tools/call and MCP 2026-07-28 tools/call of
 * calculate_portfolio) on a Toolport that records (the default) and on one
 * started with TOOLPORT_METRICS=0, at c=32, interleaved runs. Target: the
 * recording one ≥ 0.97 × the other (≤ 3 % overhead). On PostgreSQL both
 * processes run at once (only the measured one is loaded); on PGlite, whose
 * data dir one process holds, they run one after the other.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { type Figure, measureSides, ratio } from '../lib/measure.ts';
import { capturedSide, modern, PORTFOLIO_ARGS, PORTFOLIO_TOOL, restCall } from '../lib/requests.ts';
import { type RunningToolport, startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const METRICS_CONNECTIONS = 32;
export const METRICS_TARGET_RATIO = 0.97;
const METRICS_RUNS = 3;
export const METRICS_CASES = [
  { id: 'rest_call_metrics', label: 'REST POST /tools/call, metrics recorded' },
  { id: 'mcp_call_modern_metrics', label: 'MCP 2026-07-28 tools/call, metrics recorded' },
] as const;

const portfolio = (result: any) => result?.structuredContent?.totalValue === 1900;
const templates = () => [
  { template: restCall(), ok: portfolio },
  { template: modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL), ok: (json: any) => portfolio(json?.result) },
];

function record(bench: Bench, index: number, recorded: Figure | undefined, bare: Figure | undefined, toolport: RunningToolport): void {
  const spec = METRICS_CASES[index]!;
  const measured = ratio(recorded, bare);
  bench.metricsRatios.set(spec.id, measured);
  log(`    recorded / off: ${measured === null ? 'no ratio (errors)' : `${measured.toFixed(3)} ×`}`);
  bench.results.loads.push({
    id: spec.id,
    label: spec.label,
    connections: METRICS_CONNECTIONS,
    toolport: recorded!,
    ratioFloor: null,
    ratioSdk: null,
    rssAfterMb: toolport.rss(),
    baselineRssMb: {},
    notes: [
      `the same call with TOOLPORT_METRICS=0: ${bare?.rps ? `${Math.round(bare.rps)} req/s` : bare?.error}; recorded / off ${measured === null ? '–' : `${measured.toFixed(3)} ×`}`,
    ],
  });
}

export async function metrics(bench: Bench): Promise<void> {
  log('\n== metrics (the same calls with metrics recorded and with TOOLPORT_METRICS=0)');
  const settings = { ...bench.settings, runs: Math.max(bench.settings.runs, METRICS_RUNS) };
  if (bench.db.kind === 'postgres') {
    await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), async (on) => {
      await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], env: { TOOLPORT_METRICS: '0' } }), async (off) => {
        for (const [index, { template, ok }] of templates().entries()) {
          log(`  ${METRICS_CASES[index]!.label}: recorded, then off (interleaved), c=${METRICS_CONNECTIONS}`);
          const sides = [await capturedSide(on.urls.finance, template, 'metrics on', ok), await capturedSide(off.urls.finance, template, 'metrics off', ok)];
          const [recorded, bare] = await measureSides(bench.generator, sides, METRICS_CONNECTIONS, settings, log);
          record(bench, index, recorded, bare, on);
        }
      });
    });
    return;
  }
  // PGlite: one process at a time — the recording one's figures first, then each case again with metrics off.
  const recorded: (Figure | undefined)[] = [];
  const measureAll = (toolport: RunningToolport, then: (index: number, figure: Figure | undefined) => void) => async () => {
    for (const [index, { template, ok }] of templates().entries()) {
      const [figure] = await measureSides(
        bench.generator,
        [await capturedSide(toolport.urls.finance, template, 'metrics', ok)],
        METRICS_CONNECTIONS,
        settings,
        log,
      );
      then(index, figure);
    }
  };
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), (on) => measureAll(on, (index, figure) => (recorded[index] = figure))());
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], env: { TOOLPORT_METRICS: '0' } }), (off) =>
    measureAll(off, (index, figure) => record(bench, index, recorded[index], figure, off))(),
  );
}

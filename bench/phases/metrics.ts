/**
 * Phase `metrics`: what recording Prometheus metrics costs on the call path.
 * The same calls (REST /tools/call and MCP 2026-07-28 tools/call of
 * calculate_portfolio) on a Toolport that records (the default) and on one
 * started with TOOLPORT_METRICS=0, at c=32: five interleaved runs in
 * alternating order (on off, off on, …), best of each, after a 3 s warm-up
 * of each — a 3 % difference is below what the default two runs after 1 s
 * tell apart, and the side measured second gained 3–8 % in one order.
 * Target: recording costs ≤ 3 %, judged on the server's CPU time per call
 * (/proc, median of the runs: the cost itself, and steadier on a shared VM
 * than saturated throughput, which is reported beside it). On PostgreSQL
 * both processes run at once (only the measured one is loaded); on PGlite, whose
 * data dir one process holds, they run one after the other.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { type Figure, measureSides, ratio } from '../lib/measure.ts';
import { cpuMs } from '../lib/processes.ts';
import { capturedSide, modern, PORTFOLIO_ARGS, PORTFOLIO_TOOL, restCall } from '../lib/requests.ts';
import { type RunningToolport, startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const METRICS_CONNECTIONS = 32;
export const METRICS_TARGET_RATIO = 0.97;
const METRICS_RUNS = 5;
const METRICS_WARMUP_S = 3;
export const METRICS_CASES = [
  { id: 'rest_call_metrics', label: 'REST POST /tools/call, metrics recorded' },
  { id: 'mcp_call_modern_metrics', label: 'MCP 2026-07-28 tools/call, metrics recorded' },
] as const;

const portfolio = (result: any) => result?.structuredContent?.totalValue === 1900;
const templates = () => [
  { template: restCall(), ok: portfolio },
  { template: modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL), ok: (json: any) => portfolio(json?.result) },
];

/** Off's CPU per call ÷ recorded's (1 = recording costs nothing; 0.97 = it costs 3 % more CPU per call). */
function cpuRatio(recorded: Figure | undefined, bare: Figure | undefined): number | null {
  if (!recorded?.ok || !bare?.ok || !recorded.cpuUsPerRequest || !bare.cpuUsPerRequest) return null;
  return Math.round((bare.cpuUsPerRequest / recorded.cpuUsPerRequest) * 1000) / 1000;
}

function record(bench: Bench, index: number, recorded: Figure | undefined, bare: Figure | undefined, toolport: RunningToolport): void {
  const spec = METRICS_CASES[index]!;
  const measured = ratio(recorded, bare);
  const cpu = cpuRatio(recorded, bare);
  bench.metricsRatios.set(spec.id, { throughput: measured, cpu });
  log(
    `    recorded / off: ${measured === null ? 'no ratio (errors)' : `${measured.toFixed(3)} × throughput`}; CPU per call ${recorded?.cpuUsPerRequest ?? '–'} against ${bare?.cpuUsPerRequest ?? '–'} µs: ${cpu === null ? '–' : `${cpu.toFixed(3)} ×`}`,
  );
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
      `server CPU per call (median of the runs): ${recorded?.cpuUsPerRequest ?? '–'} µs recorded, ${bare?.cpuUsPerRequest ?? '–'} µs off: ${cpu === null ? '–' : `${cpu.toFixed(3)} ×`}`,
    ],
  });
}

export async function metrics(bench: Bench): Promise<void> {
  log('\n== metrics (the same calls with metrics recorded and with TOOLPORT_METRICS=0)');
  const settings = {
    ...bench.settings,
    runs: Math.max(bench.settings.runs, METRICS_RUNS),
    warmupS: Math.max(bench.settings.warmupS, METRICS_WARMUP_S),
  };
  if (bench.db.kind === 'postgres') {
    await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), async (on) => {
      await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], env: { TOOLPORT_METRICS: '0' } }), async (off) => {
        for (const [index, { template, ok }] of templates().entries()) {
          log(`  ${METRICS_CASES[index]!.label}: recorded and off (interleaved, alternating), c=${METRICS_CONNECTIONS}`);
          const sides = [
            { ...(await capturedSide(on.urls.finance, template, 'metrics on', ok)), label: 'recorded' },
            { ...(await capturedSide(off.urls.finance, template, 'metrics off', ok)), label: 'off' },
          ];
          const [recorded, bare] = await measureSides(bench.generator, sides, METRICS_CONNECTIONS, settings, log, {
            alternate: true,
            cpuOf: (side) => cpuMs((side === 0 ? on : off).process.pid),
          });
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
        { cpuOf: () => cpuMs(toolport.process.pid) },
      );
      then(index, figure);
    }
  };
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), (on) => measureAll(on, (index, figure) => (recorded[index] = figure))());
  await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], env: { TOOLPORT_METRICS: '0' } }), (off) =>
    measureAll(off, (index, figure) => record(bench, index, recorded[index], figure, off))(),
  );
}

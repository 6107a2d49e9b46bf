/** The targets the figures are judged against, and the last figures derived from the whole run. */

import { COLD_TOTAL } from './common.ts';
import { overheadTarget } from './lib/overhead.ts';
import type { TargetResult } from './lib/report.ts';
import { ACCESS_CASES, ACCESS_CONNECTIONS, ACCESS_TARGET_RATIO } from './phases/access.ts';
import type { Bench } from './phases/bench.ts';
import { GATEWAY_CASES, GATEWAY_CONNECTIONS, GATEWAY_TARGET_RATIO, SEARCH_CASES, SEARCH_P99_MS } from './phases/gateway.ts';
import { HTTP_DIRECT, HTTP_LABEL, HTTP_TOOL } from './phases/http.ts';
import { SETTLED_S } from './phases/idle.ts';
import { METRICS_CASES, METRICS_CONNECTIONS, METRICS_TARGET_RATIO } from './phases/metrics.ts';
import { REGISTRY_TARGET_MS, REGISTRY_TOOLS } from './phases/registry.ts';
import { SQL_CONNECTIONS, SQL_TARGET_RATIO, SQL_TOOL } from './phases/sql.ts';
import { UPSTREAM_DIRECT, UPSTREAM_LABEL, UPSTREAM_TOOL } from './phases/upstream.ts';
import { CPU_CLIENTS, HEALTH_UNDER_CPU, POOL_INLINE, POOL_LABEL, POOL_WORKER } from './phases/workers.ts';

/** Judge the figures against the targets, and complete the memory figures and the timing. */
export function finish(bench: Bench): void {
  const { results, settings } = bench;
  const byCase = (id: string, connections: number) => results.loads.find((load) => load.id === id && load.connections === connections);
  const maxC = Math.max(...settings.concurrency);
  const targets: TargetResult[] = [];
  const ratioTarget = (id: string, caseId: string, what: string, min: number) => {
    const load = byCase(caseId, 32);
    targets.push({
      id,
      target: `${what} ≥ ${min} × floor (c=32)`,
      measured: !load
        ? 'not measured'
        : load.ratioFloor === null
          ? `no ratio: ${load.toolport.error ?? load.floor?.error ?? 'errors'}`
          : `${load.ratioFloor.toFixed(2)} × floor`,
      met: load?.ratioFloor === null || !load ? (load ? false : null) : load.ratioFloor >= min,
    });
  };
  ratioTarget('rest_call_c32', 'rest_call', 'REST /tools/call', 0.5);
  ratioTarget('mcp_call_modern_c32', 'mcp_call_modern', 'MCP tools/call, 2026-07-28', 0.25);
  ratioTarget('mcp_call_legacy_c32', 'mcp_call_legacy', 'MCP tools/call, 2025 session', 0.3);
  ratioTarget('mcp_list_1000_c32', 'mcp_list_1000', 'MCP tools/list, 1,000 tools', 0.8);
  const list10k = byCase('mcp_list_10000', maxC);
  targets.push({
    id: 'mcp_list_10000_p99',
    target: `MCP tools/list, 10,000 tools: p99 < 50 ms (c=${maxC})`,
    measured: !list10k
      ? 'not measured'
      : list10k.toolport.ok
        ? `p99 ${list10k.toolport.p99Ms!.toFixed(1)} ms per page request`
        : `errors: ${list10k.toolport.error}`,
    met: !list10k ? null : list10k.toolport.ok && list10k.toolport.p99Ms! < 50,
  });
  const cross = results.registration?.notify.find((f) => f.listener === 'other process');
  targets.push({
    id: 'notify_cross_process',
    target: 'POST /tools → list_changed on another process: p99 < 100 ms (Postgres)',
    measured: !cross
      ? results.registration
        ? 'not measured (needs Postgres)'
        : 'not measured'
      : cross.status === 'not-delivered'
        ? cross.note!
        : `p99 ${cross.p99Ms} ms (${cross.delivered}/${cross.registrations} heard)`,
    met: !cross ? null : cross.status === 'ok' && cross.p99Ms! < 100,
  });
  const writes = results.largeWrites;
  targets.push({
    id: 'write_10k_p50',
    target: 'POST /tools at 10,000 tools: p50 < 10 ms',
    measured: writes ? `p50 ${writes.p50Ms} ms (p99 ${writes.p99Ms} ms)` : 'not measured',
    met: writes ? writes.p50Ms < 10 : null,
  });
  const file = results.registryFile;
  for (const [id, what, figure] of [
    ['registry_export_10k', 'GET /registry/export', file?.export],
    ['registry_apply_noop_10k', 'POST /registry/apply of the export (no-op)', file?.apply],
  ] as const) {
    targets.push({
      id,
      target: `${what}, ${REGISTRY_TOOLS.toLocaleString('en')} tools < ${REGISTRY_TARGET_MS / 1000} s (median)`,
      measured: figure ? `${figure.medianMs} ms` : 'not measured',
      met: figure ? figure.medianMs < REGISTRY_TARGET_MS : null,
    });
  }
  const coldTarget = (id: string, tools: number, limitMs: number) => {
    const cold = results.coldStart.find((c) => c.backend === 'postgres' && c.tools === tools && c.build === 'dist');
    targets.push({
      id,
      target: `cold start, ${tools.toLocaleString('en')} tools, Postgres, dist/ < ${limitMs / 1000} s (median)`,
      measured: !cold ? 'not measured' : cold.error ? `error: ${cold.error}` : `${cold.medianMs} ms`,
      met: !cold ? null : !cold.error && cold.medianMs! < limitMs,
    });
  };
  const firstStart = (id: string, entry: 'serve' | 'stdio', what: string) => {
    const cold = results.coldStart.find((c) => c.fresh && (c.entry ?? 'serve') === entry);
    targets.push({
      id,
      target: `first start on a fresh PGlite data dir, ${what} < 3 s (median)`,
      measured: !cold ? 'not measured' : cold.error ? `error: ${cold.error}` : `${cold.medianMs} ms`,
      met: !cold ? null : !cold.error && cold.medianMs! < 3000,
    });
  };
  firstStart('first_start_serve', 'serve', 'npm start to every listener healthy');
  firstStart('first_start_stdio', 'stdio', '`toolport mcp finance` to its first tools/list');
  coldTarget('cold_start_10_postgres', 10, 1000);
  coldTarget('cold_start_10k_postgres', COLD_TOTAL, 1500);
  const idleFigure = results.idle.find((figure) => figure.backend === 'postgres' && figure.build === 'dist');
  targets.push({
    id: 'idle_rss_postgres',
    target: `idle RSS, dist/, Postgres, 10 tools < 100 MB (${SETTLED_S} s after healthy)`,
    measured: !idleFigure ? 'not measured' : idleFigure.error ? `error: ${idleFigure.error}` : `${idleFigure.settledMb?.toFixed(1)} MB`,
    met: !idleFigure || idleFigure.error || idleFigure.settledMb === undefined ? null : idleFigure.settledMb < 100,
  });
  targets.push(
    overheadTarget(bench, {
      id: 'pool_overhead_c1',
      target: 'CPU pool overhead per call < 0.15 ms (c=1: the same handler in the pool − inline, median latency)',
      label: POOL_LABEL,
      referenceId: POOL_INLINE,
      measuredId: POOL_WORKER,
      limitMs: 0.15,
    }),
    overheadTarget(bench, {
      id: 'http_overhead_c1',
      target: 'http tool overhead per call < 0.3 ms (c=1: REST /tools/call of an http tool − a direct GET of the same upstream, median latency)',
      label: HTTP_LABEL,
      referenceId: HTTP_DIRECT,
      measuredId: HTTP_TOOL,
      limitMs: 0.3,
    }),
    overheadTarget(bench, {
      id: 'upstream_overhead_c1',
      target:
        'proxied upstream tool overhead per call < 0.5 ms (c=1: REST /tools/call of an mcp-proxy tool − the same tools/call sent to the upstream directly, median latency)',
      label: UPSTREAM_LABEL,
      referenceId: UPSTREAM_DIRECT,
      measuredId: UPSTREAM_TOOL,
      limitMs: 0.5,
    }),
  );
  const sqlCase = byCase(SQL_TOOL, SQL_CONNECTIONS);
  targets.push({
    id: 'sql_tool_c32',
    target: `sql tool (primary-key lookup) ≥ ${SQL_TARGET_RATIO} × postgres.js directly (c=${SQL_CONNECTIONS}, throughput)`,
    measured: !sqlCase ? 'not measured' : bench.sqlRatio === null ? `no ratio: ${sqlCase.toolport.error ?? 'errors'}` : `${bench.sqlRatio.toFixed(2)} × direct`,
    met: !sqlCase ? null : bench.sqlRatio !== null && bench.sqlRatio >= SQL_TARGET_RATIO,
  });
  for (const { id, label } of ACCESS_CASES) {
    const measured = bench.accessRatios.get(id);
    targets.push({
      id: `${id}_c${ACCESS_CONNECTIONS}`,
      target: `${label}: ≥ ${ACCESS_TARGET_RATIO} × the same call without one (c=${ACCESS_CONNECTIONS}, throughput)`,
      measured: measured === undefined ? 'not measured' : measured === null ? 'no ratio: errors' : `${measured.toFixed(2)} × open`,
      met: measured === undefined ? null : measured !== null && measured >= ACCESS_TARGET_RATIO,
    });
  }
  for (const { id, label } of GATEWAY_CASES) {
    const measured = bench.gatewayRatios.get(id);
    targets.push({
      id: `${id}_c${GATEWAY_CONNECTIONS}`,
      target: `${label}: ≥ ${GATEWAY_TARGET_RATIO} × the same on the server's own port (c=${GATEWAY_CONNECTIONS}, throughput)`,
      measured: measured === undefined ? 'not measured' : measured === null ? 'no ratio: errors' : `${measured.toFixed(3)} × port`,
      met: measured === undefined ? null : measured !== null && measured >= GATEWAY_TARGET_RATIO,
    });
  }
  for (const { id, label } of METRICS_CASES) {
    const measured = bench.metricsRatios.get(id);
    const throughput = measured?.throughput;
    const shown = (value: number | null | undefined) => (value === null || value === undefined ? '–' : `${value.toFixed(3)} ×`);
    targets.push({
      id: `${id}_c${METRICS_CONNECTIONS}`,
      target: `${label}: costs ≤ ${Math.round((1 - METRICS_TARGET_RATIO) * 100)} % — the server's CPU per call with TOOLPORT_METRICS=0 ≥ ${METRICS_TARGET_RATIO} × the recording one's (c=${METRICS_CONNECTIONS}; throughput beside it)`,
      measured:
        measured === undefined
          ? 'not measured'
          : measured.cpu === null
            ? 'no ratio: errors or no CPU figures'
            : `CPU ${shown(measured.cpu)}, throughput ${shown(throughput)} off`,
      met: measured === undefined ? null : measured.cpu !== null && measured.cpu >= METRICS_TARGET_RATIO,
    });
  }
  for (const { id, label } of SEARCH_CASES) {
    const search = byCase(id, 1)?.toolport;
    targets.push({
      id: `${id}_p99`,
      target: `${label}: p99 < ${SEARCH_P99_MS} ms (c=1)`,
      measured: !search ? 'not measured' : search.ok ? `p99 ${search.p99Ms!.toFixed(2)} ms (p50 ${search.p50Ms!.toFixed(2)} ms)` : `errors: ${search.error}`,
      met: !search ? null : search.ok && search.p99Ms! < SEARCH_P99_MS,
    });
  }
  const health = byCase(HEALTH_UNDER_CPU, 1);
  targets.push({
    id: 'health_p99_under_cpu',
    target: `GET /health p99 < 20 ms while ${CPU_CLIENTS} clients send 1 MB text_analyzer calls`,
    measured: !health
      ? 'not measured'
      : health.toolport.ok
        ? `p99 ${health.toolport.p99Ms!.toFixed(2)} ms (p50 ${health.toolport.p50Ms!.toFixed(2)} ms)`
        : `errors: ${health.toolport.error}`,
    met: !health ? null : health.toolport.ok && health.toolport.p99Ms! < 20,
  });
  const afterC32 = results.loads.filter((load) => load.connections === 32 && load.rssAfterMb !== undefined);
  const worst = afterC32.sort((a, b) => b.rssAfterMb! - a.rssAfterMb!)[0];
  results.memory.maxAfterC32Mb = worst?.rssAfterMb ?? null;
  targets.push({
    id: 'rss_after_c32',
    target: 'RSS < 150 MB after the c=32 phases',
    measured: worst ? `max ${worst.rssAfterMb} MB (after ${worst.id})` : 'not measured',
    met: worst ? worst.rssAfterMb! < 150 : null,
  });
  const idle = [...bench.idle].sort((a, b) => a.tools - b.tools);
  if (idle.length >= 2 && idle[idle.length - 1]!.tools > idle[0]!.tools) {
    const [low, high] = [idle[0]!, idle[idle.length - 1]!];
    results.memory.rssPer10kToolsMb = Math.round(((high.rssMb - low.rssMb) / (high.tools - low.tools)) * 10_000 * 10) / 10;
  }
  results.targets = targets;
  results.finishedAt = new Date().toISOString();
  results.elapsedS = Math.round((Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 1000);
}

/** Which target each measured case and concurrency answers, for the report's "target" column. */
export function caseTargets(bench: Bench): Map<string, string> {
  const maxC = Math.max(...bench.settings.concurrency);
  return new Map([
    ['rest_call@32', 'rest_call_c32'],
    ['mcp_call_modern@32', 'mcp_call_modern_c32'],
    ['mcp_call_legacy@32', 'mcp_call_legacy_c32'],
    ['mcp_list_1000@32', 'mcp_list_1000_c32'],
    [`mcp_list_10000@${maxC}`, 'mcp_list_10000_p99'],
    [`${POOL_WORKER}@1`, 'pool_overhead_c1'],
    [`${HEALTH_UNDER_CPU}@1`, 'health_p99_under_cpu'],
    [`${HTTP_TOOL}@1`, 'http_overhead_c1'],
    [`${UPSTREAM_TOOL}@1`, 'upstream_overhead_c1'],
    [`${SQL_TOOL}@${SQL_CONNECTIONS}`, 'sql_tool_c32'],
    ...ACCESS_CASES.map(({ id }): [string, string] => [`${id}@${ACCESS_CONNECTIONS}`, `${id}_c${ACCESS_CONNECTIONS}`]),
    ...GATEWAY_CASES.map(({ id }): [string, string] => [`${id}@${GATEWAY_CONNECTIONS}`, `${id}_c${GATEWAY_CONNECTIONS}`]),
    ...METRICS_CASES.map(({ id }): [string, string] => [`${id}@${METRICS_CONNECTIONS}`, `${id}_c${METRICS_CONNECTIONS}`]),
    ...SEARCH_CASES.map(({ id }): [string, string] => [`${id}@1`, `${id}_p99`]),
  ]);
}

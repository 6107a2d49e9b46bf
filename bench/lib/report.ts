import type { Figure, LoadCase } from './measure.ts';
import type { LatencyFigure } from './notify.ts';

/** The JSON written to bench/results/ (fields explained in bench/results/README.md). */
export interface ColdStart {
  backend: 'postgres' | 'pglite';
  tools: number;
  /** dist (npm start) or source (tsx); a fresh PGlite data dir (initdb, migrations, seed) or an existing registry. */
  build: 'dist' | 'source';
  fresh?: boolean;
  /** serve (spawn → every listener healthy; the default) or stdio (`toolport mcp finance` → its first tools/list). */
  entry?: 'serve' | 'stdio';
  runsMs: number[];
  medianMs: number | null;
  minMs: number | null;
  error?: string;
}

export interface IdleRss {
  backend: 'postgres' | 'pglite';
  build: 'dist' | 'source';
  /** 5 s after every listener answered: start-up's garbage still in the heap. */
  earlyMb: number | undefined;
  /** 60 s after: once V8's memory reducer has run (it does on an idle process, after some 20–30 s). */
  settledMb: number | undefined;
  error?: string;
}

export interface TargetResult {
  id: string;
  target: string;
  measured: string;
  /** null: not measured in this run (phase skipped, or no Postgres). */
  met: boolean | null;
}

export interface BenchResults {
  schema: 'toolport-bench/1';
  startedAt: string;
  toolport: { version: string; commit: string | null; changedFiles: string[] };
  finishedAt?: string;
  elapsedS?: number;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; pinned: boolean; loadGenerator: string };
  settings: Record<string, unknown>;
  database: { kind: 'postgres' | 'pglite'; describe: string; note?: string };
  loads: LoadCase[];
  registration?: {
    /** The registry the latency registrations went into (it grows by one tool per registration). */
    notifyRegistry: { server: string; toolsBefore: number; toolsAfter: number };
    notify: LatencyFigure[];
    throughput?: Figure & { toolsBefore: number; toolsAfter: number };
    note?: string;
  };
  /** POST /tools latency into a large registry (c=1). */
  largeWrites?: { tools: number; count: number; p50Ms: number; p99Ms: number };
  /** GET /registry/export and a no-op POST /registry/apply of it, at this many tools (phase registry). */
  registryFile?: { tools: number; bytes: number; export: { medianMs: number; runsMs: number[] }; apply: { medianMs: number; runsMs: number[] } };
  coldStart: ColdStart[];
  idle: IdleRss[];
  memory: {
    samples: { when: string; tools: number; rssMb: number | undefined }[];
    rssPer10kToolsMb: number | null;
    maxAfterC32Mb: number | null;
  };
  targets: TargetResult[];
  /** Disturbances from outside (e.g. our server stopped by another process) after which the measurement was redone. */
  incidents: string[];
  errors: string[];
}

const fmt = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '–'
    : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function throughput(figure: Figure | undefined): string {
  if (!figure) return '–';
  if (!figure.ok) return `**ERRORS** (${figure.error?.split(';')[0]})`;
  const rps = fmt(figure.rps);
  return figure.requestsPerUnit > 1 ? `${rps} (${fmt(figure.unitsPerS, 1)} lists/s)` : rps;
}

function latency(figure: Figure | undefined): string {
  if (!figure?.ok) return '–';
  return `${fmt(figure.p50Ms, 2)} / ${fmt(figure.p99Ms, 2)}`;
}

function kb(bytes: number | undefined): string {
  if (!bytes) return '–';
  return bytes >= 1024 * 1024 ? `${fmt(bytes / 1024 / 1024, 2)} MB` : bytes >= 1024 ? `${fmt(bytes / 1024, 1)} KB` : `${bytes} B`;
}

export function targetLookup(results: BenchResults): Map<string, TargetResult> {
  return new Map(results.targets.map((target) => [target.id, target]));
}

const mark = (met: boolean | null | undefined) => (met === true ? '✅ met' : met === false ? '❌ missed' : '– n/a');

/** The markdown report: load table, registration, cold start, memory, targets. */
export function renderMarkdown(results: BenchResults, caseTargets: Map<string, string>): string {
  const targets = targetLookup(results);
  const lines: string[] = [];
  lines.push(
    `Toolport ${results.toolport.version}${results.toolport.commit ? ` @ ${results.toolport.commit}${results.toolport.changedFiles.length ? ` + ${results.toolport.changedFiles.length} uncommitted file(s)` : ''}` : ''} — ${results.startedAt} — ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, ` +
      `database ${results.database.kind}${results.database.note ? ` (${results.database.note})` : ''}${results.machine.pinned ? ', server on cpu 0, load generator on cpu 1' : ', NOT pinned (no taskset or < 2 cores)'}; ` +
      `best of ${results.settings.runs} × ${results.settings.durationS} s after ${results.settings.warmupS} s warm-up; load generator: ${results.machine.loadGenerator}.`,
  );
  lines.push('');
  lines.push(
    '| measurement | c | Toolport req/s | Toolport p50 / p99 ms | floor req/s | SDK req/s | SDK p50 / p99 ms | ÷ floor | ÷ SDK | body per unit (Toolport / SDK) | target |',
  );
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const load of results.loads) {
    const targetId = caseTargets.get(`${load.id}@${load.connections}`);
    const target = targetId ? targets.get(targetId) : undefined;
    lines.push(
      `| ${load.label} | ${load.connections} | ${throughput(load.toolport)} | ${latency(load.toolport)} | ${throughput(load.floor)} | ${throughput(load.sdk)} | ${latency(load.sdk)} | ` +
        `${load.ratioFloor === null ? '–' : fmt(load.ratioFloor, 2)} | ${load.ratioSdk === null ? '–' : fmt(load.ratioSdk, 1)} | ` +
        `${kb(load.toolport.bodyBytesPerUnit)}${load.sdk ? ` / ${kb(load.sdk.bodyBytesPerUnit)}` : ''} | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
    );
  }
  const notes = [...new Set(results.loads.flatMap((load) => load.notes))];
  if (notes.length) {
    lines.push('');
    for (const note of notes) lines.push(`- ${note}`);
  }

  if (results.registration) {
    const reg = results.registration;
    lines.push('', '| registration | figure | target |', '|---|---|---|');
    for (const figure of reg.notify) {
      const target = figure.listener === 'other process' ? targets.get('notify_cross_process') : undefined;
      const value =
        figure.status === 'not-delivered'
          ? `**${figure.note}**`
          : `p50 ${fmt(figure.p50Ms, 1)} ms, p90 ${fmt(figure.p90Ms, 1)} ms, p99 ${fmt(figure.p99Ms, 1)} ms, max ${fmt(figure.maxMs, 1)} ms (${figure.delivered}/${figure.registrations} heard)${figure.note ? ` — ${figure.note}` : ''}`;
      lines.push(
        `| POST /tools returned → list_changed on a listen stream, ${figure.listener} (${reg.notifyRegistry.server}: ${reg.notifyRegistry.toolsBefore} → ${reg.notifyRegistry.toolsAfter} tools) | ${value} | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
      );
    }
    if (results.largeWrites) {
      const w = results.largeWrites;
      const target = targets.get('write_10k_p50');
      lines.push(
        `| POST /tools into ${fmt(w.tools)} tools, one at a time (${w.count} writes) | p50 ${fmt(w.p50Ms, 2)} ms, p99 ${fmt(w.p99Ms, 2)} ms | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
      );
    }
    if (reg.throughput) {
      const t = reg.throughput;
      lines.push(
        `| POST /tools throughput (c=${t.connections}, registry ${t.toolsBefore} → ${t.toolsAfter} tools) | ${t.ok ? `${fmt(t.rps)} req/s, p50 ${fmt(t.p50Ms, 2)} ms, p99 ${fmt(t.p99Ms, 2)} ms` : `**ERRORS** ${t.error}`} | |`,
      );
    }
    if (reg.note) lines.push('', `- ${reg.note}`);
  }

  if (results.registryFile) {
    const file = results.registryFile;
    lines.push('', '| registry file | median | runs | target |', '|---|--:|---|---|');
    for (const [what, figure, id] of [
      [`GET /registry/export, ${fmt(file.tools)} tools (${fmt(file.bytes / 1e6, 1)} MB of YAML)`, file.export, 'registry_export_10k'],
      [`POST /registry/apply of that export (a no-op: nothing to change)`, file.apply, 'registry_apply_noop_10k'],
    ] as const) {
      const target = targets.get(id);
      lines.push(
        `| ${what} | ${fmt(figure.medianMs)} ms | ${figure.runsMs.map((ms) => fmt(ms)).join(', ')} | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
      );
    }
  }

  if (results.coldStart.length) {
    lines.push('', '| cold start (spawn → every listener answers /health) | median | min | runs | target |', '|---|--:|--:|---|---|');
    for (const cold of results.coldStart) {
      const target =
        cold.backend === 'postgres' && cold.build === 'dist'
          ? targets.get(cold.tools >= 10_000 ? 'cold_start_10k_postgres' : 'cold_start_10_postgres')
          : cold.fresh
            ? targets.get(cold.entry === 'stdio' ? 'first_start_stdio' : 'first_start_serve')
            : undefined;
      const entry = cold.entry === 'stdio' ? '`toolport mcp finance` → first tools/list' : cold.build === 'dist' ? 'dist/ (npm start)' : 'source through tsx';
      const what = `${cold.backend}${cold.fresh ? ', fresh data dir' : ''}, ${cold.tools.toLocaleString('en')} tools, ${entry}`;
      lines.push(
        `| ${what} | ${cold.error ? `**ERROR** (see errors below)` : `${fmt(cold.medianMs)} ms`} | ${fmt(cold.minMs)} ms | ${cold.runsMs.map((ms) => fmt(ms)).join(', ')} | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
      );
    }
  }

  if (results.idle.length) {
    lines.push('', '| idle RSS (10 tools, no request yet) | 5 s after healthy | 60 s after healthy | target |', '|---|--:|--:|---|');
    for (const idle of results.idle) {
      const target = idle.backend === 'postgres' && idle.build === 'dist' ? targets.get('idle_rss_postgres') : undefined;
      lines.push(
        `| ${idle.backend}, ${idle.build === 'dist' ? 'dist/ (npm start)' : 'source through tsx'} | ${fmt(idle.earlyMb, 1)} MB | ${fmt(idle.settledMb, 1)} MB | ${target ? `${target.target}: ${mark(target.met)}` : ''} |`,
      );
    }
  }

  if (results.memory.samples.length) {
    lines.push('', '| Toolport RSS | tools | RSS |', '|---|--:|--:|');
    for (const sample of results.memory.samples) lines.push(`| ${sample.when} | ${sample.tools.toLocaleString('en')} | ${fmt(sample.rssMb, 1)} MB |`);
    const rssTarget = targets.get('rss_after_c32');
    lines.push(
      `| **max after a c=32 phase** | | **${fmt(results.memory.maxAfterC32Mb, 1)} MB** ${rssTarget ? `(${rssTarget.target}: ${mark(rssTarget.met)})` : ''} |`,
    );
    lines.push(`| **RSS per 10,000 tools** (idle, 10,000-tool registry − 10-tool registry) | | **${fmt(results.memory.rssPer10kToolsMb, 1)} MB** |`);
    const floorMax = Math.max(0, ...results.loads.map((load) => load.baselineRssMb.floor ?? 0));
    const sdkMax = Math.max(0, ...results.loads.map((load) => load.baselineRssMb.sdk ?? 0));
    if (floorMax) lines.push(`| for reference: floor process (Hono + tsx, same runtime), max | | ${fmt(floorMax, 1)} MB |`);
    if (sdkMax) lines.push(`| for reference: SDK baseline process, max | | ${fmt(sdkMax, 1)} MB |`);
  }

  lines.push('', '| target | measured | |', '|---|---|---|');
  for (const target of results.targets) lines.push(`| ${target.target} | ${target.measured} | ${mark(target.met)} |`);
  if (results.incidents.length) {
    lines.push('', '**Incidents** (measurements redone):');
    for (const incident of results.incidents) lines.push(`- ${incident}`);
  }
  const errors = [...results.errors, ...results.coldStart.filter((c) => c.error).map((c) => `cold start ${c.backend}, ${c.tools} tools: ${c.error}`)];
  if (errors.length) {
    lines.push('', '**Errors:**');
    for (const error of errors) lines.push('', '```', error, '```');
  }
  return lines.join('\n');
}

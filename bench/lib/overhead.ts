/**
 * The "what does this add per call" rows (the CPU pool against inline, an
 * http tool against a direct call of its upstream): two sides measured at
 * c=1, interleaved; the overhead is the difference of their median latencies
 * — the targets' measure: on a shared machine the mean follows the tail,
 * i.e. the neighbours — with the means beside it.
 */
import { cleanups, using } from '../cleanup.ts';
import { ROOT } from '../common.ts';
import type { Bench } from '../phases/bench.ts';
import { type BenchDatabase, createPgliteDatabase, createPostgresDatabase } from './db.ts';
import type { LoadRequest, LoadResult } from './load-types.ts';
import type { Figure } from './measure.ts';
import { LOAD_CPU, listeningPorts, spawnNode } from './processes.ts';
import type { TargetResult } from './report.ts';
import { capture, check, type Template } from './requests.ts';

/**
 * The fixture of an upstream's overhead rows: the upstream (`script`, a
 * bench/servers file printing `listening <port>`) on the load generator's
 * core, not Toolport's — an upstream is another machine, and sharing
 * Toolport's one core would add two process hand-offs per call that no
 * deployment has (measured: ~0.6 ms of the 0.88 ms at c=1) — and a fresh
 * database of the bench's kind (Postgres when reachable), left empty:
 * Toolport migrates and seeds it. Both are released after `work`, or by the
 * bench's cleanup when it is interrupted.
 */
export async function withUpstream(
  bench: Bench,
  upstream: { name: string; script: string },
  work: (upstreamUrl: string, db: BenchDatabase) => Promise<void>,
): Promise<void> {
  const server = spawnNode(upstream.name, ['--import', 'tsx', upstream.script, '0'], { cwd: ROOT, cpu: LOAD_CPU });
  await using(server, async () => {
    const [port] = await listeningPorts(server, 1);
    const db = bench.db.kind === 'postgres' ? await createPostgresDatabase(bench.settings.databaseUrl!) : await createPgliteDatabase();
    await db.release();
    const dropDb = () => db.dispose();
    cleanups.push(dropDb);
    try {
      await work(`http://127.0.0.1:${port}`, db);
    } finally {
      cleanups.splice(cleanups.indexOf(dropDb), 1);
      await db.dispose();
    }
  });
}

/** One request captured before the load and checked; its exact bytes become every answer's expected body. */
export async function expectedAnswer(url: string, template: Template, what: string, ok: (json: any) => boolean): Promise<LoadRequest> {
  const captured = await capture(url, template);
  check(captured.status === 200 && ok(captured.json), what, captured);
  // A JSON-RPC answer carries each request's id: expect the captured body with the id as a placeholder (capture's template).
  return { ...template, expect: { status: 200, body: template.body?.includes('__BENCH_ID__') ? captured.template : captured.body } };
}

/** Mean latency of the best run (highest req/s, the run the figure keeps), in ms. */
export function bestMeanMs(runs: LoadResult[]): number | null {
  const best = [...runs].sort((a, b) => b.rps - a.rps)[0];
  return best && Number.isFinite(best.meanMs) ? best.meanMs : null;
}

/** `pool − inline: 262 µs per call by median latency (0.460 − 0.198 ms), 262 µs by mean`; undefined when a side failed. */
export function overheadText(label: string, reference: Figure, measured: Figure): string | undefined {
  if (!reference.ok || !measured.ok) return undefined;
  const referenceMean = bestMeanMs(reference.runs);
  const measuredMean = bestMeanMs(measured.runs);
  const us = (ms: number) => `${Math.round(ms * 1000)} µs`;
  const median = `${label}: ${us(measured.p50Ms! - reference.p50Ms!)} per call by median latency (${measured.p50Ms!.toFixed(3)} − ${reference.p50Ms!.toFixed(3)} ms)`;
  return referenceMean === null || measuredMean === null ? median : `${median}, ${us(measuredMean - referenceMean)} by mean`;
}

/** A c=1 row of one side (no floor, no SDK). */
export function pushSoloRow(bench: Bench, row: { id: string; label: string; figure: Figure; rssAfterMb: number | undefined; notes?: string[] }): void {
  bench.results.loads.push({
    id: row.id,
    label: row.label,
    connections: row.figure.connections,
    toolport: row.figure,
    ratioFloor: null,
    ratioSdk: null,
    rssAfterMb: row.rssAfterMb,
    baselineRssMb: {},
    notes: row.notes ?? [],
  });
}

/** The verdict of an overhead target: measured − reference (median, c=1) below `limitMs`. */
export function overheadTarget(
  bench: Bench,
  spec: { id: string; target: string; label: string; referenceId: string; measuredId: string; limitMs: number },
): TargetResult {
  const find = (id: string) => bench.results.loads.find((load) => load.id === id && load.connections === 1);
  const reference = find(spec.referenceId);
  const measured = find(spec.measuredId);
  if (!reference || !measured) return { id: spec.id, target: spec.target, measured: 'not measured', met: null };
  const text = overheadText(spec.label, reference.toolport, measured.toolport);
  return {
    id: spec.id,
    target: spec.target,
    measured: text ?? `errors: ${measured.toolport.error ?? reference.toolport.error}`,
    met: text !== undefined && measured.toolport.p50Ms! - reference.toolport.p50Ms! < spec.limitMs,
  };
}

import type { LoadRequest, LoadResult } from './load-types.ts';
import type { LoadGenerator } from './loadgen.ts';
import type { Settings } from './settings.ts';

/**
 * One measurement = the same request sequence against each side (Toolport,
 * floor, SDK) at one concurrency: each side warmed up, then the sides
 * interleaved run by run (floor, SDK, Toolport, floor, …) so that drift of a
 * noisy machine hits all of them alike. The figure kept is the BEST run
 * (highest req/s) of each side; every run is in the JSON.
 */

/** `upstream`: a local API called directly (the `http` phase's reference side). */
export type TargetName = 'toolport' | 'floor' | 'sdk' | 'upstream';

export interface Side {
  target: TargetName;
  url: string;
  requests: LoadRequest[];
  /** Requests making one unit of work (e.g. the pages of one full tools/list). */
  requestsPerUnit: number;
  /** Response body bytes of one unit. */
  bodyBytesPerUnit: number;
  /** Per-connection 2025-era sessions, opened before the warm-up, closed after the last run. */
  sessions?: (connections: number) => Promise<{ ids: string[]; close(): Promise<void> }>;
  /** Fixed number of requests per run instead of a duration (warm-up: a fifth of it). */
  amount?: number;
  note?: string;
  /** Named in each run's log line (which side a line is, when runs alternate). */
  label?: string;
}

export interface Figure {
  target: TargetName;
  connections: number;
  ok: boolean;
  /** Why the figure is not a throughput: the wrong answers seen. */
  error?: string;
  rps: number | null;
  unitsPerS: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  requestsPerUnit: number;
  bodyBytesPerUnit: number;
  runs: LoadResult[];
  note?: string;
  /** The side's server CPU time per request (µs, median over the runs; measured where the phase asks for it). */
  cpuUsPerRequest?: number;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function problems(result: LoadResult): string | undefined {
  const wrong = result.badStatus + result.badBody;
  if (!wrong && !result.errors && !result.timeouts && result.responses > 0) return undefined;
  const parts = [
    `${wrong} of ${result.responses} responses wrong (status ${result.badStatus}, body ${result.badBody})`,
    result.errors ? `${result.errors} connection errors` : '',
    result.timeouts ? `${result.timeouts} timeouts` : '',
    result.responses === 0 ? `no response within the ${result.durationS} s run` : '',
  ].filter(Boolean);
  const first = result.firstBad ? `; first: status ${result.firstBad.status}, body ${JSON.stringify(result.firstBad.body.slice(0, 200))}` : '';
  return parts.join(', ') + first;
}

export function figureOf(side: Side, connections: number, runs: LoadResult[]): Figure {
  const error = runs.map(problems).find(Boolean);
  const best = error ? undefined : [...runs].sort((a, b) => b.rps - a.rps)[0];
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    target: side.target,
    connections,
    ok: !error && Boolean(best),
    ...(error ? { error } : {}),
    rps: best ? round(best.rps, 1) : null,
    unitsPerS: best ? round(best.rps / side.requestsPerUnit, 2) : null,
    p50Ms: best ? round(best.p50Ms, 3) : null,
    p99Ms: best ? round(best.p99Ms, 3) : null,
    requestsPerUnit: side.requestsPerUnit,
    bodyBytesPerUnit: side.bodyBytesPerUnit,
    runs,
    ...(side.note ? { note: side.note } : {}),
  };
}

export interface MeasureOptions {
  /** Reverse the sides' order every other run (A B, B A, A B, …): a side measured right after another may gain or lose from it (measured: 3–8 % on a ratio of two processes). */
  alternate?: boolean;
  /** Each side's process's CPU time so far (ms), read around each measured run: the figure's `cpuUsPerRequest`. */
  cpuOf?: (sideIndex: number) => number | undefined;
}

export async function measureSides(
  generator: LoadGenerator,
  sides: Side[],
  connections: number,
  settings: Settings,
  log: (line: string) => void,
  options: MeasureOptions = {},
): Promise<Figure[]> {
  const opened = await Promise.all(sides.map((side) => side.sessions?.(connections)));
  try {
    const jobOf = (side: Side, index: number, durationS: number, warmup = false) => ({
      url: side.url,
      connections,
      durationS,
      ...(side.amount ? { amount: warmup ? Math.max(connections, Math.round(side.amount / 5)) : side.amount } : {}),
      requests: side.requests,
      ...(opened[index] ? { sessions: opened[index]!.ids } : {}),
    });
    for (const [index, side] of sides.entries()) await generator.run(jobOf(side, index, settings.warmupS, true));
    const runs: LoadResult[][] = sides.map(() => []);
    const cpuUs: number[][] = sides.map(() => []);
    for (let run = 0; run < settings.runs; run++) {
      const order = [...sides.entries()];
      if (options.alternate && run % 2 === 1) order.reverse();
      for (const [index, side] of order) {
        // Slow answers (MB-sized lists at c=32): lengthen the run until each connection got at least two answers.
        let durationS = settings.durationS;
        let cpuBefore = options.cpuOf?.(index);
        let result = await generator.run(jobOf(side, index, durationS));
        while (!side.amount && result.responses < 2 * connections && !problems({ ...result, responses: 1 }) && durationS < settings.durationS * 8) {
          durationS *= 2;
          log(
            `    ${side.target.padEnd(8)} c=${String(connections).padEnd(3)} only ${result.responses} responses in ${result.durationS} s: again for ${durationS} s`,
          );
          cpuBefore = options.cpuOf?.(index);
          result = await generator.run(jobOf(side, index, durationS));
        }
        const cpuAfter = options.cpuOf?.(index);
        const cpu = cpuBefore !== undefined && cpuAfter !== undefined && result.responses > 0 ? ((cpuAfter - cpuBefore) * 1000) / result.responses : undefined;
        if (cpu !== undefined) cpuUs[index]!.push(cpu);
        runs[index]!.push(result);
        const p99 = typeof result.p99Ms === 'number' && Number.isFinite(result.p99Ms) ? `${result.p99Ms.toFixed(2)} ms` : '–';
        log(
          `    ${side.target.padEnd(8)} c=${String(connections).padEnd(3)} run ${run + 1}: ${Math.round(result.rps)} req/s, p99 ${p99}${cpu === undefined ? '' : `, ${cpu.toFixed(1)} µs CPU/request`}${side.label ? ` (${side.label})` : ''}${problems(result) ? `  ✗ ${problems(result)}` : ''}`,
        );
      }
    }
    return sides.map((side, index) => {
      const figure = figureOf(side, connections, runs[index]!);
      const cpu = median(cpuUs[index]!);
      return cpu === undefined ? figure : { ...figure, cpuUsPerRequest: Math.round(cpu * 10) / 10 };
    });
  } finally {
    await Promise.all(opened.map((session) => session?.close()));
  }
}

export interface LoadCase {
  id: string;
  label: string;
  connections: number;
  toolport: Figure;
  floor?: Figure;
  sdk?: Figure;
  /** Toolport ÷ floor and Toolport ÷ SDK, in units of work per second. */
  ratioFloor: number | null;
  ratioSdk: number | null;
  /** Toolport's RSS right after this measurement. */
  rssAfterMb: number | undefined;
  /** The baselines' RSS at the same moment, for reference (same runtime, same tsx loader). */
  baselineRssMb: { floor?: number | undefined; sdk?: number | undefined };
  notes: string[];
}

export function ratio(toolport: Figure | undefined, other: Figure | undefined): number | null {
  if (!toolport?.ok || !other?.ok || !toolport.unitsPerS || !other.unitsPerS) return null;
  return Math.round((toolport.unitsPerS / other.unitsPerS) * 1000) / 1000;
}

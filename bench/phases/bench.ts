/** The state one `npm run bench` run builds up, and the steps every phase shares: sampling RSS, measuring cases. */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { cleanups } from '../cleanup.ts';
import { AUTOCANNON_VERSION, log, ROOT, VERSION } from '../common.ts';
import type { PreparedCase } from '../lib/cases.ts';
import { type BenchDatabase, countTools, type exportServer } from '../lib/db.ts';
import { LoadGenerator } from '../lib/loadgen.ts';
import { measureSides, ratio, type Side } from '../lib/measure.ts';
import { CAN_PIN, rssMb } from '../lib/processes.ts';
import type { BenchResults } from '../lib/report.ts';
import type { Settings } from '../lib/settings.ts';
import { type RunningServer, type RunningToolport, type SdkServerSpec, settledRss } from '../lib/targets.ts';

/** Which Toolport was measured: the commit, and the server files changed since (a dirty tree is measured as it is). */
function sourceVersion(): BenchResults['toolport'] {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return { version: VERSION, commit: null, changedFiles: [] };
  const status = git('status', '--porcelain', '--', 'src', 'migrations', 'drizzle', 'seeds', 'package.json');
  return {
    version: VERSION,
    commit: head.stdout.trim(),
    changedFiles: status.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3)),
  };
}

export function sdkSpec(exported: Awaited<ReturnType<typeof exportServer>>): SdkServerSpec {
  // Same identity as Toolport's server (name toolport-<id>, title, instructions), so the answers are byte-comparable.
  return {
    name: `toolport-${exported.id}`,
    title: exported.name,
    ...(exported.description ? { instructions: exported.description } : {}),
    tools: exported.tools,
  };
}

/** A Toolport-only side for the load generator (no floor, no SDK). */
export function toolportOnly(url: string, requests: Side['requests'], extra: Partial<Side> = {}): Side {
  return { target: 'toolport', url, requests, requestsPerUnit: 1, bodyBytesPerUnit: 0, ...extra };
}

export class Bench {
  readonly results: BenchResults;
  readonly generator = new LoadGenerator();
  /** RSS at idle, by total tool count: the per-10,000-tools figure comes from the extremes. */
  readonly idle: { tools: number; rssMb: number }[] = [];
  /** The sql phase's throughput ratio (sql tool ÷ postgres.js directly, c=32), null when not measured. */
  sqlRatio: number | null = null;
  /** The access phase's keyed ÷ open throughput ratios (c=32), by case id; null when not measured. */
  readonly accessRatios = new Map<string, number | null>();
  /** The gateway phase's gateway ÷ own-port throughput ratios (c=32), by case id; null when not measured. */
  readonly gatewayRatios = new Map<string, number | null>();
  /** The metrics phase's recorded ÷ TOOLPORT_METRICS=0 ratios (c=32), by case id: throughput, and CPU per call (off's ÷ recorded's). */
  readonly metricsRatios = new Map<string, { throughput: number | null; cpu: number | null }>();

  constructor(
    readonly settings: Settings,
    readonly db: BenchDatabase,
  ) {
    cleanups.push(() => this.generator.close());
    this.results = {
      schema: 'toolport-bench/1',
      startedAt: new Date().toISOString(),
      toolport: sourceVersion(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        pinned: CAN_PIN,
        loadGenerator: `autocannon ${AUTOCANNON_VERSION} in a separate process, bodies compared byte for byte`,
      },
      settings: {
        durationS: settings.durationS,
        warmupS: settings.warmupS,
        runs: settings.runs,
        pick: 'best run (highest req/s) per side',
        concurrency: settings.concurrency,
        coldRuns: settings.coldRuns,
        notifyRegistrations: settings.notifyRegistrations,
        notifyTimeoutMs: settings.notifyTimeoutMs,
        registerAmount: settings.registerAmount,
        registerConnections: settings.registerConnections,
        phases: settings.phases,
      },
      database: { kind: db.kind, describe: db.describe },
      loads: [],
      coldStart: [],
      idle: [],
      memory: { samples: [], rssPer10kToolsMb: null, maxAfterC32Mb: null },
      targets: [],
      incidents: [],
      errors: [],
    };
  }

  /** Something outside the bench disturbed a measurement that was then redone. */
  incident(text: string): void {
    log(`  ! ${text}`);
    this.results.incidents.push(text);
  }

  async totalTools(): Promise<number> {
    const total = (await countTools(this.db, 'finance')) + (await countTools(this.db, 'utility'));
    await this.db.release();
    return total;
  }

  async sampleIdle(toolport: RunningToolport, tools: number, when: string): Promise<void> {
    const rssMb = await settledRss(toolport);
    this.results.memory.samples.push({ when, tools, rssMb });
    if (rssMb !== undefined) this.idle.push({ tools, rssMb });
    log(`  ${when}: ${tools} tools, RSS ${rssMb} MB (started in ${Math.round(toolport.startMs)} ms)`);
  }

  /** Measure each prepared case at each concurrency: floor, SDK, Toolport. */
  async measure(cases: PreparedCase[], floor: RunningServer, toolport: RunningToolport, tools: number, sdk?: RunningServer): Promise<void> {
    for (const prepared of cases) {
      for (const connections of this.settings.concurrency) {
        log(`  ${prepared.label}, c=${connections}`);
        const sides = [prepared.floorSide(floor.urls[0]!), ...(prepared.sdk ? [prepared.sdk] : []), prepared.toolport];
        let figures = await measureSides(this.generator, sides, connections, this.settings, log);
        // A shared machine: another user's `pkill` may stop our server. Say so, start it again, measure again.
        for (let retry = 1; toolport.died(); retry++) {
          const died = toolport.died()!;
          if (retry > 2) throw new Error(`during ${prepared.id} c=${connections}: ${died}`);
          this.incident(`during ${prepared.id} c=${connections}: ${died.split(';')[0]}; restarted it on the same ports and measured again`);
          await toolport.restart();
          figures = await measureSides(this.generator, sides, connections, this.settings, log);
        }
        const [floorFigure, ...rest] = figures;
        const toolportFigure = rest[rest.length - 1]!;
        const sdkFigure = prepared.sdk ? rest[0] : undefined;
        const rssAfterMb = toolport.rss();
        this.results.loads.push({
          id: prepared.id,
          label: prepared.label,
          connections,
          toolport: toolportFigure,
          floor: floorFigure,
          ...(sdkFigure ? { sdk: sdkFigure } : {}),
          ratioFloor: ratio(toolportFigure, floorFigure),
          ratioSdk: ratio(toolportFigure, sdkFigure),
          rssAfterMb,
          baselineRssMb: { floor: rssMb(floor.process.pid), ...(sdk ? { sdk: rssMb(sdk.process.pid) } : {}) },
          notes: prepared.notes,
        });
        this.results.memory.samples.push({ when: `after ${prepared.id} c=${connections}`, tools, rssMb: rssAfterMb });
      }
    }
  }

  /** The finance server's tool count, as its /info reports it. */
  async financeCount(toolport: RunningToolport): Promise<number> {
    const info = (await (await fetch(`${toolport.urls.finance}/info`)).json()) as { tools?: { count?: number } };
    return info.tools?.count ?? NaN;
  }
}

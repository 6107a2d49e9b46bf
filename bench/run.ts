/**
 * `npm run bench`: Toolport against the HTTP floor (bare Hono) and the
 * official MCP SDK v2, in one run, on this machine. Prints a markdown report
 * and writes it, with every run's figures, under bench/results/.
 * Knobs (env): see bench/lib/settings.ts and bench/results/README.md.
 * `BENCH_PROFILE=<case> npm run bench` profiles one case instead (node --cpu-prof).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  legacyCallCase,
  modernCallCase,
  modernListCase,
  registerRequests,
  restCallCase,
  restListCase,
  type PreparedCase,
} from './lib/cases.ts';
import {
  countTools,
  createPgliteDatabase,
  createPostgresDatabase,
  DEFAULT_POSTGRES_URL,
  exportServer,
  postgresReachable,
  seedWithCli,
  setToolCount,
  type BenchDatabase,
} from './lib/db.ts';
import { LoadGenerator } from './lib/loadgen.ts';
import { measureSides, ratio, type Figure, type LoadCase, type Side } from './lib/measure.ts';
import { closeListeners, measureNotifyLatency, openListener, type LatencyFigure, type Listener } from './lib/notify.ts';
import { CAN_PIN, LOAD_CPU, pin, rssMb } from './lib/processes.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';
import { renderMarkdown, type BenchResults, type ColdStart, type TargetResult } from './lib/report.ts';
import { loadSettings, type Settings } from './lib/settings.ts';
import { mainThreadProfile, settledRss, startFloor, startSdk, startToolport, type RunningServer, type RunningToolport, type SdkServerSpec } from './lib/targets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const AUTOCANNON_VERSION: string = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')).version;

/** The built-in registry: finance 3 + utility 4; utility gets 3 bulk tools more, for "10 tools". */
const SMALL_UTILITY = 7;
const LIST_SIZES = [1_000, 10_000];
const COLD_TOTAL = 10_000;

const log = (line: string) => process.stderr.write(line + '\n');

/** Which Toolport was measured: the commit, and the server files changed since (a dirty tree is measured as it is). */
function sourceVersion(): BenchResults['toolport'] {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return { version: VERSION, commit: null, changedFiles: [] };
  const status = git('status', '--porcelain', '--', 'src', 'migrations', 'drizzle', 'seeds', 'package.json');
  return { version: VERSION, commit: head.stdout.trim(), changedFiles: status.stdout.split('\n').filter(Boolean).map((line) => line.slice(3)) };
}
const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      log(`cleanup: ${(error as Error).message}`);
    }
  }
}
/** Run `work` with `resource`, always releasing it. */
async function using<T extends { stop(): Promise<void> }, R>(resource: T, work: (resource: T) => Promise<R>): Promise<R> {
  const release = () => resource.stop();
  cleanups.push(release);
  try {
    return await work(resource);
  } finally {
    cleanups.splice(cleanups.indexOf(release), 1);
    await resource.stop();
  }
}

const median = (values: number[]) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function sdkSpec(exported: Awaited<ReturnType<typeof exportServer>>): SdkServerSpec {
  // Same identity as Toolport's server (name toolport-<id>, title, instructions), so the answers are byte-comparable.
  return { name: `toolport-${exported.id}`, title: exported.name, ...(exported.description ? { instructions: exported.description } : {}), tools: exported.tools };
}

async function openDatabase(settings: Settings): Promise<BenchDatabase> {
  if (settings.backend !== 'pglite' && (await postgresReachable(settings.databaseUrl!))) return createPostgresDatabase(settings.databaseUrl!);
  if (settings.backend === 'postgres') throw new Error(`BENCH_BACKEND=postgres but ${settings.databaseUrl} is not reachable`);
  return createPgliteDatabase();
}

/** A Toolport-only side for the load generator (no floor, no SDK). */
function toolportOnly(url: string, requests: Side['requests'], extra: Partial<Side> = {}): Side {
  return { target: 'toolport', url, requests, requestsPerUnit: 1, bodyBytesPerUnit: 0, ...extra };
}

class Bench {
  readonly results: BenchResults;
  private readonly generator = new LoadGenerator();
  /** RSS at idle, by total tool count: the per-10,000-tools figure comes from the extremes. */
  private readonly idle: { tools: number; rssMb: number }[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly db: BenchDatabase,
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

  private async totalTools(): Promise<number> {
    const total = (await countTools(this.db, 'finance')) + (await countTools(this.db, 'utility'));
    await this.db.release();
    return total;
  }

  private async sampleIdle(toolport: RunningToolport, tools: number, when: string): Promise<void> {
    const rssMb = await settledRss(toolport);
    this.results.memory.samples.push({ when, tools, rssMb });
    if (rssMb !== undefined) this.idle.push({ tools, rssMb });
    log(`  ${when}: ${tools} tools, RSS ${rssMb} MB (started in ${Math.round(toolport.startMs)} ms)`);
  }

  /** Measure each prepared case at each concurrency: floor, SDK, Toolport. */
  private async measure(cases: PreparedCase[], floor: RunningServer, toolport: RunningToolport, tools: number, sdk?: RunningServer): Promise<void> {
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

  /** Calls on a 10-tool registry: REST, MCP 2026-07-28 stateless, MCP 2025 session. */
  async calls(): Promise<void> {
    log('\n== calls (10-tool registry)');
    await setToolCount(this.db, 'utility', SMALL_UTILITY);
    const finance = await exportServer(this.db, 'finance');
    const tools = await this.totalTools();
    await using(await startToolport(this.db, { cwd: ROOT }), async (toolport) => {
      await this.sampleIdle(toolport, tools, 'idle after start');
      await using(await startSdk(ROOT, [sdkSpec(finance)], VERSION), async (sdk) => {
        const url = toolport.urls.finance;
        const cases = [await restCallCase(url), await modernCallCase(url, sdk.urls[0]), await legacyCallCase(url, sdk.urls[0])];
        await using(await startFloor(ROOT, Object.assign({}, ...cases.map((c) => c.floorCases))), (floor) => this.measure(cases, floor, toolport, tools, sdk));
      });
    });
  }

  /** Registration → list_changed latency on this process and on another one, then POST /tools throughput. */
  async register(): Promise<void> {
    log('\n== registration');
    const before = await this.totalTools();
    await using(await startToolport(this.db, { cwd: ROOT }), async (toolport) => {
      const listeners: Listener[] = [];
      const close = () => closeListeners(listeners);
      cleanups.push(close);
      let notify: LatencyFigure[] = [];
      let note: string | undefined;
      const notifyBefore = await this.financeCount(toolport);
      const measureNotify = async () => {
        log(`  POST /tools → list_changed, ${this.settings.notifyRegistrations} registrations one by one, timeout ${this.settings.notifyTimeoutMs} ms`);
        notify = await measureNotifyLatency(listeners, {
          registerUrl: toolport.urls.finance,
          count: this.settings.notifyRegistrations,
          timeoutMs: this.settings.notifyTimeoutMs,
          giveUpAfter: 3,
          namePrefix: 'notify_',
        });
        for (const f of notify) {
          log(`    ${f.listener}: ${f.status === 'not-delivered' ? f.note : `p50 ${f.p50Ms} ms, p90 ${f.p90Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms (${f.delivered}/${f.registrations})`}`);
        }
      };
      listeners.push(await openListener('same process', toolport.urls.finance));
      if (this.db.kind === 'postgres') {
        // Process B: a second Toolport on the same database, serving finance on its own port.
        await using(await startToolport(this.db, { cwd: ROOT, servers: ['finance'] }), async (other) => {
          listeners.push(await openListener('other process', other.urls.finance));
          await measureNotify();
        });
      } else {
        note = 'PGlite: a data dir is opened by one process only, so the cross-process figure needs Postgres (BENCH_DATABASE_URL).';
        await measureNotify();
      }
      await close();
      cleanups.splice(cleanups.indexOf(close), 1);
      const notifyAfter = await this.financeCount(toolport);

      const side = toolportOnly(toolport.urls.finance, registerRequests('reg_'), { amount: this.settings.registerAmount });
      log(`  POST /tools, c=${this.settings.registerConnections}, ${this.settings.registerAmount} registrations per run`);
      const [figure] = await measureSides(this.generator, [side], this.settings.registerConnections, this.settings, log);
      const throughputAfter = await this.financeCount(toolport);
      const rssMb = toolport.rss();
      this.results.memory.samples.push({ when: 'after registrations', tools: before - notifyBefore + throughputAfter, rssMb });
      this.results.registration = {
        notifyRegistry: { server: 'finance', toolsBefore: notifyBefore, toolsAfter: notifyAfter },
        notify,
        throughput: { ...figure!, toolsBefore: notifyAfter, toolsAfter: throughputAfter },
        ...(note ? { note } : {}),
      };
    });
    // Back to the small registry for the phases after this one.
    await this.db.query(`DELETE FROM tools WHERE server_id = 'finance' AND (name LIKE 'reg\\_%' OR name LIKE 'notify\\_%')`);
    await this.db.release();
  }

  private async financeCount(toolport: RunningToolport): Promise<number> {
    const info = (await (await fetch(`${toolport.urls.finance}/info`)).json()) as { tools?: { count?: number } };
    return info.tools?.count ?? NaN;
  }

  /** tools/list and GET /tools with 1,000 and 10,000 tools on one server. */
  async lists(): Promise<void> {
    for (const size of LIST_SIZES) {
      log(`\n== lists (${size.toLocaleString('en')} tools on utility)`);
      await setToolCount(this.db, 'utility', size);
      // The SDK baseline registers every tool on every request: at 10,000 it would take minutes per run (see the 1,000 row).
      const utility = size <= 1_000 ? await exportServer(this.db, 'utility') : undefined;
      const tools = await this.totalTools();
      await using(await startToolport(this.db, { cwd: ROOT }), async (toolport) => {
        await this.sampleIdle(toolport, tools, 'idle after start');
        const run = async (sdk: RunningServer | undefined) => {
          const url = toolport.urls.utility;
          const cases = [await modernListCase(url, sdk?.urls[0], size, `mcp_list_${size}`), await restListCase(url, size, `rest_list_${size}`)];
          if (!sdk) cases[0]!.notes.push('SDK baseline not run at 10,000 tools: its documented factory registers every tool on every request (see the 1,000-tool row)');
          await using(await startFloor(ROOT, Object.assign({}, ...cases.map((c) => c.floorCases))), (floor) => this.measure(cases, floor, toolport, tools, sdk));
        };
        if (utility) await using(await startSdk(ROOT, [sdkSpec(utility)], VERSION), (sdk) => run(sdk));
        else await run(undefined);
      });
    }
    await setToolCount(this.db, 'utility', SMALL_UTILITY);
    await this.db.release();
  }

  /** Spawn → every listener healthy, on each backend, with 10 and 10,000 tools (own databases, existing data). */
  async cold(): Promise<void> {
    const backends: ('postgres' | 'pglite')[] = this.db.kind === 'postgres' ? ['postgres', 'pglite'] : ['pglite'];
    for (const backend of backends) {
      log(`\n== cold start (${backend})`);
      const db = backend === 'postgres' ? await createPostgresDatabase(this.settings.databaseUrl!) : await createPgliteDatabase();
      const dispose = () => db.dispose();
      cleanups.push(dispose);
      try {
        seedWithCli(db, ROOT);
        for (const total of [10, COLD_TOTAL]) {
          const finance = await countTools(db, 'finance');
          await setToolCount(db, 'utility', total - finance);
          await db.release();
          const runsMs: number[] = [];
          let error: string | undefined;
          let failures = 0;
          for (let run = 0; run < this.settings.coldRuns; run++) {
            try {
              const toolport = await startToolport(db, { cwd: ROOT });
              runsMs.push(Math.round(toolport.startMs));
              await toolport.stop();
            } catch (caught) {
              error = (caught as Error).message;
              // Killed from outside (a shared machine) rather than failed: retry twice, saying so.
              if (++failures > 2 || !/SIGINT|SIGTERM|SIGKILL/.test(error)) break;
              this.incident(`cold start ${backend}, ${total} tools: ${error.split(';')[0]} (signal in its output); started again`);
              error = undefined;
              run--;
            }
          }
          const result: ColdStart = { backend, tools: total, runsMs, medianMs: median(runsMs), minMs: runsMs.length ? Math.min(...runsMs) : null, ...(error ? { error } : {}) };
          this.results.coldStart.push(result);
          log(`  ${total} tools: ${runsMs.join(', ')} ms${error ? ` ERROR ${error}` : ''}`);
        }
      } finally {
        cleanups.splice(cleanups.indexOf(dispose), 1);
        await dispose();
      }
    }
  }

  finish(): void {
    const { results, settings } = this;
    const byCase = (id: string, connections: number) => results.loads.find((load) => load.id === id && load.connections === connections);
    const maxC = Math.max(...settings.concurrency);
    const targets: TargetResult[] = [];
    const ratioTarget = (id: string, caseId: string, what: string, min: number) => {
      const load = byCase(caseId, 32);
      targets.push({
        id,
        target: `${what} ≥ ${min} × floor (c=32)`,
        measured: !load ? 'not measured' : load.ratioFloor === null ? `no ratio: ${load.toolport.error ?? load.floor?.error ?? 'errors'}` : `${load.ratioFloor.toFixed(2)} × floor`,
        met: load?.ratioFloor === null || !load ? (load ? false : null) : load.ratioFloor >= min,
      });
    };
    ratioTarget('rest_call_c32', 'rest_call', 'REST /tools/call', 0.5);
    ratioTarget('mcp_call_modern_c32', 'mcp_call_modern', 'MCP tools/call, 2026-07-28', 0.25);
    ratioTarget('mcp_call_legacy_c32', 'mcp_call_legacy', 'MCP tools/call, 2025 session', 0.25);
    ratioTarget('mcp_list_1000_c32', 'mcp_list_1000', 'MCP tools/list, 1,000 tools', 0.8);
    const list10k = byCase('mcp_list_10000', maxC);
    targets.push({
      id: 'mcp_list_10000_p99',
      target: `MCP tools/list, 10,000 tools: p99 < 50 ms (c=${maxC})`,
      measured: !list10k ? 'not measured' : list10k.toolport.ok ? `p99 ${list10k.toolport.p99Ms!.toFixed(1)} ms per page request` : `errors: ${list10k.toolport.error}`,
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
    const cold = results.coldStart.find((c) => c.backend === 'postgres' && c.tools === COLD_TOTAL);
    targets.push({
      id: 'cold_start_10k_postgres',
      target: 'cold start, 10,000 tools, Postgres < 2 s (median)',
      measured: !cold ? 'not measured' : cold.error ? `error: ${cold.error}` : `${cold.medianMs} ms`,
      met: !cold ? null : !cold.error && cold.medianMs! < 2000,
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
    const idle = [...this.idle].sort((a, b) => a.tools - b.tools);
    if (idle.length >= 2 && idle[idle.length - 1]!.tools > idle[0]!.tools) {
      const [low, high] = [idle[0]!, idle[idle.length - 1]!];
      results.memory.rssPer10kToolsMb = Math.round(((high.rssMb - low.rssMb) / (high.tools - low.tools)) * 10_000 * 10) / 10;
    }
    results.targets = targets;
    results.finishedAt = new Date().toISOString();
    results.elapsedS = Math.round((Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 1000);
  }

  caseTargets(): Map<string, string> {
    const maxC = Math.max(...this.settings.concurrency);
    return new Map([
      ['rest_call@32', 'rest_call_c32'],
      ['mcp_call_modern@32', 'mcp_call_modern_c32'],
      ['mcp_call_legacy@32', 'mcp_call_legacy_c32'],
      ['mcp_list_1000@32', 'mcp_list_1000_c32'],
      [`mcp_list_10000@${maxC}`, 'mcp_list_10000_p99'],
    ]);
  }
}

/** BENCH_PROFILE=<case>: one case against Toolport under `node --cpu-prof`, summarized (load window only). */
const PROFILE_CASES: Record<string, { utility: number; servers?: 'finance' }> = {
  rest_call: { utility: SMALL_UTILITY },
  mcp_call_modern: { utility: SMALL_UTILITY },
  mcp_call_legacy: { utility: SMALL_UTILITY },
  register: { utility: SMALL_UTILITY },
  mcp_list_1000: { utility: 1_000 },
  rest_list_1000: { utility: 1_000 },
  mcp_list_10000: { utility: 10_000 },
  rest_list_10000: { utility: 10_000 },
  cold_10000: { utility: COLD_TOTAL - 3 },
};

async function profile(settings: Settings, db: BenchDatabase, caseId: string): Promise<void> {
  const spec = PROFILE_CASES[caseId];
  if (!spec) throw new Error(`BENCH_PROFILE: unknown case "${caseId}" (known: ${Object.keys(PROFILE_CASES).join(', ')})`);
  const generator = new LoadGenerator();
  cleanups.push(() => generator.close());
  await setToolCount(db, 'utility', spec.utility);
  await db.release();
  const dir = join(RESULTS, 'profiles');
  mkdirSync(dir, { recursive: true });
  const connections = Math.max(...settings.concurrency);
  const toolport = await startToolport(db, { cwd: ROOT, cpuProfDir: dir });
  cleanups.push(() => toolport.stop());
  const spawnedAt = performance.now() - toolport.startMs;
  let window = { fromMs: 0, toMs: toolport.startMs };
  let figure: Figure | undefined;
  if (caseId !== 'cold_10000') {
    const url = caseId.startsWith('rest_list') || caseId.startsWith('mcp_list') ? toolport.urls.utility : toolport.urls.finance;
    const side: Side =
      caseId === 'register'
        ? toolportOnly(url, registerRequests('prof_'), { amount: settings.registerAmount * 4 })
        : (
            await {
              rest_call: () => restCallCase(url),
              mcp_call_modern: () => modernCallCase(url, undefined),
              mcp_call_legacy: () => legacyCallCase(url, undefined),
              mcp_list_1000: () => modernListCase(url, undefined, 1_000, caseId),
              mcp_list_10000: () => modernListCase(url, undefined, 10_000, caseId),
              rest_list_1000: () => restListCase(url, 1_000, caseId),
              rest_list_10000: () => restListCase(url, 10_000, caseId),
            }[caseId]!()
          ).toolport;
    log(`profiling ${caseId}: warm-up ${settings.warmupS} s, then ${settings.profileS} s at c=${connections}`);
    await measureSides(generator, [side], connections, { ...settings, runs: 0 }, log);
    const from = performance.now() - spawnedAt;
    const [result] = await measureSides(generator, [side], connections, { ...settings, runs: 1, durationS: settings.profileS, warmupS: 0.1 }, log);
    figure = result;
    window = { fromMs: from + 100, toMs: performance.now() - spawnedAt };
  }
  await toolport.stop();
  const file = mainThreadProfile(dir, toolport.process.pid);
  if (!file) throw new Error(`no main-thread .cpuprofile of pid ${toolport.process.pid} in ${dir}`);
  const summary = summarizeProfile(file, ROOT, window);
  const text = formatProfile(summary);
  process.stdout.write(`\n${figure ? `${caseId} at c=${connections}: ${figure.ok ? `${Math.round(figure.rps!)} req/s, p99 ${figure.p99Ms} ms` : figure.error}\n` : ''}${text}\n`);
  writeFileSync(join(dir, `${caseId}.summary.json`), JSON.stringify({ caseId, connections, figure: figure ? { ...figure, runs: undefined } : undefined, ...summary }, null, 2));
  log(`\nprofile: ${file}\nsummary: ${join(dir, `${caseId}.summary.json`)}`);
}

async function main(): Promise<void> {
  pin(process.pid, LOAD_CPU);
  const settings = loadSettings(DEFAULT_POSTGRES_URL);
  const db = await openDatabase(settings);
  cleanups.push(() => db.dispose());
  log(`bench database: ${db.describe}${CAN_PIN ? '' : ' (taskset unavailable or < 2 cores: processes are NOT pinned)'}`);
  seedWithCli(db, ROOT);
  await setToolCount(db, 'utility', SMALL_UTILITY);
  await db.release();

  if (settings.profile) return profile(settings, db, settings.profile);

  const bench = new Bench(settings, db);
  if (db.kind === 'pglite' && settings.backend === 'auto') bench.results.database.note = `no Postgres reachable at ${settings.databaseUrl}: every phase ran on PGlite`;
  const phases: [string, () => Promise<void>][] = [
    ['calls', () => bench.calls()],
    ['register', () => bench.register()],
    ['lists', () => bench.lists()],
    ['cold', () => bench.cold()],
  ];
  for (const [name, phase] of phases) {
    if (!settings.phases.includes(name as never)) continue;
    try {
      await phase();
    } catch (error) {
      const message = `phase ${name} failed: ${(error as Error).message ?? error}`;
      log(`${message}\n${(error as Error).stack ?? ''}`);
      bench.results.errors.push(message);
    }
  }
  bench.finish();
  const markdown = renderMarkdown(bench.results, bench.caseTargets());
  mkdirSync(RESULTS, { recursive: true });
  const stamp = bench.results.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS, `bench-${stamp}.json`), JSON.stringify(bench.results, null, 2));
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(bench.results, null, 2));
  writeFileSync(join(RESULTS, 'latest.md'), markdown + '\n');
  process.stdout.write('\n' + markdown + '\n');
  log(`\nwritten: bench/results/bench-${stamp}.json, bench/results/latest.json, bench/results/latest.md (${bench.results.elapsedS} s)`);
  const missed = bench.results.targets.filter((target) => target.met === false);
  if (missed.length) log(`missed: ${missed.map((t) => t.id).join(', ')} — profile one with BENCH_PROFILE=<case> npm run bench (cases: ${Object.keys(PROFILE_CASES).join(', ')})`);
}

process.on('SIGINT', () => {
  log('interrupted: stopping the bench processes and dropping the bench database');
  void cleanup().then(() => process.exit(130));
});

main()
  .catch((error) => {
    log(`bench failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(cleanup);

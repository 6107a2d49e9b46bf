// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
/**
 * Phase `sql`: an `sql` tool (a tool without code: one parameterized
 * statement on a data source) against the same statement sent directly with
 * postgres.js. The tool is a primary-key lookup on the sample table
 * `sample_stock_quotes`, on a data source whose URL (a secret reference)
 * points at Toolport's own bench database; both sides hold at most
 * POOL_SIZE server connections. Runs at c=32, interleaved: the direct loops
 * (bench/servers/pg-direct-load.ts, no HTTP) on the load core — the
 * statement alone, then the transaction a tool call must wrap it in — then
 * REST /tools/call of the tool from the load generator. The target compares
 * their throughputs (the tool ≥ 0.7× direct). Postgres only: there is
 * nothing to send "directly" to an embedded PGlite.
 */
import { spawn } from 'node:child_process';
import { cleanups, using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { createPostgresDatabase } from '../lib/db.ts';
import type { LoadResult } from '../lib/load-types.ts';
import { type Figure, figureOf } from '../lib/measure.ts';
import { expectedAnswer } from '../lib/overhead.ts';
import { CAN_PIN, LOAD_CPU } from '../lib/processes.ts';
import type { Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

/** Ids of the row this phase adds and of its target (bench/verdicts.ts). */
export const SQL_TOOL = 'sql_tool';
export const SQL_CONNECTIONS = 32;
export const SQL_TARGET_RATIO = 0.7;
const SQL_TOOL_NAME = 'bench_sql_quote';
const SOURCE_ID = 'bench';
const POOL_SIZE = 10;
const SYMBOL = 'AAPL';
const JSON_HEADERS = { 'content-type': 'application/json' };

export interface SqlComparison {
  direct: { rps: number; p50Ms: number; p99Ms: number; runs: number[] } | null;
  tool: Figure | null;
  ratio: number | null;
  error?: string;
}

async function post(url: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 600)}`);
}

/** One run of the direct side: its JSON line. */
function directRun(url: string, durationS: number, mode: 'statement' | 'transaction' = 'statement'): Promise<LoadResult & { wrong: number }> {
  const args = ['--import', 'tsx', 'bench/servers/pg-direct-load.ts', url, String(SQL_CONNECTIONS), String(durationS), String(POOL_SIZE), SYMBOL, mode];
  const command = CAN_PIN ? 'taskset' : process.execPath;
  const argv = CAN_PIN ? ['-c', LOAD_CPU, process.execPath, ...args] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`pg-direct-load exited ${code}: ${err.slice(-600)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch (error) {
        reject(new Error(`pg-direct-load printed no result: ${(error as Error).message}; ${out.slice(-300)}`));
      }
    });
  });
}

export async function sql(bench: Bench): Promise<void> {
  log('\n== sql (an sql tool against the same statement sent directly with postgres.js)');
  if (bench.db.kind !== 'postgres') {
    log('  skipped: the bench runs on PGlite (no Postgres reachable), and there is no direct postgres.js side to an embedded database');
    return;
  }
  const db = await createPostgresDatabase(bench.settings.databaseUrl!);
  await db.release();
  const dropDb = () => db.dispose();
  cleanups.push(dropDb);
  try {
    const databaseUrl = db.env.DATABASE_URL!;
    const toolport = await startToolport(db, { cwd: ROOT, servers: ['utility'], env: { TOOLPORT_SECRET_BENCH_DB: databaseUrl } });
    await using(toolport, async () => {
      const url = toolport.urls.utility;
      await post(url, '/data-sources', { id: SOURCE_ID, url: '${secret:BENCH_DB}', poolSize: POOL_SIZE, description: 'the bench database (bench only)' });
      await post(url, '/tools', {
        name: SQL_TOOL_NAME,
        description: 'A sample stock quote by symbol (sql tool, bench only)',
        handler: 'sql',
        inputSchema: { type: 'object', properties: { symbol: { type: 'string', minLength: 1 } }, required: ['symbol'] },
        config: { source: SOURCE_ID, statement: 'select symbol, price from sample_stock_quotes where symbol = :symbol' },
      });
      const call: Template = {
        method: 'POST',
        path: '/tools/call',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: SQL_TOOL_NAME, arguments: { symbol: SYMBOL } }),
      };
      const viaTool = await expectedAnswer(url, call, `${SQL_TOOL_NAME} (sql tool)`, (json) => json?.structuredContent?.rows?.[0]?.symbol === SYMBOL);
      const job = (durationS: number) => ({ url, connections: SQL_CONNECTIONS, durationS, requests: [viaTool] });

      log(
        `  primary-key lookup: postgres.js directly (${SQL_CONNECTIONS} loops, pool ${POOL_SIZE}), then REST /tools/call of the sql tool, c=${SQL_CONNECTIONS}`,
      );
      await directRun(databaseUrl, bench.settings.warmupS);
      await bench.generator.run(job(bench.settings.warmupS));
      const directRuns: (LoadResult & { wrong: number })[] = [];
      const shapeRuns: (LoadResult & { wrong: number })[] = [];
      const toolRuns: LoadResult[] = [];
      for (let run = 0; run < bench.settings.runs; run++) {
        const direct = await directRun(databaseUrl, bench.settings.durationS);
        directRuns.push(direct);
        log(
          `    direct   c=${SQL_CONNECTIONS} run ${run + 1}: ${Math.round(direct.rps)} queries/s, p99 ${direct.p99Ms.toFixed(2)} ms${direct.errors || direct.wrong ? `  ✗ ${direct.errors} errors, ${direct.wrong} wrong` : ''}`,
        );
        const shape = await directRun(databaseUrl, bench.settings.durationS, 'transaction');
        shapeRuns.push(shape);
        log(
          `    the tool's transaction, directly, c=${SQL_CONNECTIONS} run ${run + 1}: ${Math.round(shape.rps)} transactions/s, p99 ${shape.p99Ms.toFixed(2)} ms${shape.errors || shape.wrong ? `  ✗ ${shape.errors} errors, ${shape.wrong} wrong` : ''}`,
        );
        const tool = await bench.generator.run(job(bench.settings.durationS));
        toolRuns.push(tool);
        const wrong = tool.badStatus + tool.badBody + tool.errors + tool.timeouts;
        log(
          `    toolport c=${SQL_CONNECTIONS} run ${run + 1}: ${Math.round(tool.rps)} req/s, p99 ${Number.isFinite(tool.p99Ms) ? tool.p99Ms.toFixed(2) : '–'} ms${wrong ? `  ✗ ${wrong} wrong (first: ${JSON.stringify(tool.firstBad ?? null).slice(0, 300)})` : ''}`,
        );
      }
      const figure = figureOf(
        { target: 'toolport', url, requests: [viaTool], requestsPerUnit: 1, bodyBytesPerUnit: viaTool.expect.body!.length },
        SQL_CONNECTIONS,
        toolRuns,
      );
      const bestDirect = directRuns.filter((run) => !run.errors && !run.wrong).sort((a, b) => b.rps - a.rps)[0];
      const ratio = figure.ok && bestDirect ? Math.round((figure.rps! / bestDirect.rps) * 100) / 100 : null;
      const directText = bestDirect ? `${Math.round(bestDirect.rps)} queries/s directly (p50 ${bestDirect.p50Ms.toFixed(2)} ms)` : 'direct side failed';
      // The ceiling the call's required shape sets (its own transaction, SET LOCAL settings, a portal): no HTTP, no Toolport.
      const bestShape = shapeRuns.filter((run) => !run.errors && !run.wrong).sort((a, b) => b.rps - a.rps)[0];
      const shapeText =
        bestShape && bestDirect
          ? `the same transaction sent directly: ${Math.round(bestShape.rps)}/s, ${(bestShape.rps / bestDirect.rps).toFixed(2)} × the statement alone; the tool ${figure.ok ? (figure.rps! / bestShape.rps).toFixed(2) : 'n/a'} × that`
          : 'the transaction side failed';
      log(`    ${ratio === null ? 'no ratio: errors' : `sql tool ÷ direct = ${ratio}×`} (${directText}); ${shapeText}`);
      bench.results.loads.push({
        id: SQL_TOOL,
        label: `REST /tools/call of an sql tool (primary-key lookup) against postgres.js directly, pool ${POOL_SIZE}`,
        connections: SQL_CONNECTIONS,
        toolport: figure,
        ratioFloor: null,
        ratioSdk: null,
        rssAfterMb: toolport.rss(),
        baselineRssMb: {},
        notes: [`sql tool ÷ postgres.js direct: ${ratio ?? 'n/a'}× (${directText}; best of ${bench.settings.runs} interleaved runs each); ${shapeText}`],
      });
      bench.sqlRatio = ratio;
    });
  } finally {
    cleanups.splice(cleanups.indexOf(dropDb), 1);
    await db.dispose();
  }
}

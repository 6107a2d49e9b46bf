/**
 * Phase `workers`: the CPU pool (handlers with runs: 'worker').
 * - its cost per call: the same pure handler (text_analyzer on one sentence)
 *   in the pool and inline (`text_analyzer_inline`), c=1, interleaved runs;
 *   the target compares their median latencies (the means are shown too);
 * - what the event loop sees while every thread is busy: GET /health (c=1)
 *   on the utility listener while 8 other clients keep sending it 1 MB
 *   text_analyzer calls.
 * The server is bench/servers/pool.ts on a fresh database of the bench's kind, on the server core.
 */
import { cleanups } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { createPgliteDatabase, createPostgresDatabase } from '../lib/db.ts';
import type { LoadRequest } from '../lib/load-types.ts';
import { LoadGenerator } from '../lib/loadgen.ts';
import { figureOf, measureSides, type Side } from '../lib/measure.ts';
import { expectedAnswer, overheadText, pushSoloRow } from '../lib/overhead.ts';
import { listeningPorts, rssMb, SERVER_CPU, sleep, spawnNode } from '../lib/processes.ts';
import { capture, check, type Template } from '../lib/requests.ts';
import type { Bench } from './bench.ts';

/** Ids of the rows this phase adds (bench/verdicts.ts judges them). */
export const POOL_INLINE = 'pool_inline';
export const POOL_WORKER = 'pool_worker';
export const HEALTH_UNDER_CPU = 'health_under_cpu';
export const CPU_CLIENTS = 8;
/** How the overhead reads in the log, the notes and the target. */
export const POOL_LABEL = 'pool − inline';
/** The pool server's threads (TOOLPORT_CPU_WORKERS, set for the phase) and tools (the built-in 7 + the inline twin). */
const POOL_THREADS = 2;
const SERVER_TOOLS = 8;

const JSON_HEADERS = { 'content-type': 'application/json' };
const SENTENCE = 'The cat sat on the mat. The dog ran!';
/** 1,000,000 characters: text_analyzer's limit, inside the 1 MiB body limit. */
const ONE_MB_OF_WORDS = 'word '.repeat(200_000);

const callOf = (name: string, args: Record<string, unknown>): Template => ({
  method: 'POST',
  path: '/tools/call',
  headers: JSON_HEADERS,
  body: JSON.stringify({ name, arguments: args }),
});

export async function workers(bench: Bench): Promise<void> {
  log('\n== workers (CPU handlers in the thread pool)');
  // A fresh database of the bench's kind (Postgres when reachable), left empty: the server migrates and seeds it.
  const db = bench.db.kind === 'postgres' ? await createPostgresDatabase(bench.settings.databaseUrl!) : await createPgliteDatabase();
  await db.release();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'TOOLPORT_DATA_DIR']) delete env[key];
  Object.assign(env, db.env, { TOOLPORT_CPU_WORKERS: String(POOL_THREADS) });
  const server = spawnNode('pool', ['--import', 'tsx', 'bench/servers/pool.ts'], { cwd: ROOT, cpu: SERVER_CPU, env });
  const stopServer = async () => {
    await server.stop();
    await db.dispose();
  };
  cleanups.push(stopServer);
  const background = new LoadGenerator();
  const closeBackground = () => background.close();
  cleanups.push(closeBackground);
  try {
    const [utilityPort] = await listeningPorts(server, 2, 60_000);
    const url = `http://127.0.0.1:${utilityPort}`;
    const sampleRss = async (when: string) => {
      await sleep(500);
      bench.results.memory.samples.push({ when: `workers phase: ${when}`, tools: SERVER_TOOLS, rssMb: rssMb(server.pid) });
    };
    await sampleRss('idle after start, no thread yet');

    // 1. The pool's cost per call: same handler, same input, inline and in the pool.
    const sentence = (json: any) => json?.structuredContent?.words === 9 && json?.structuredContent?.sentences === 2;
    const inline = await expectedAnswer(url, callOf('text_analyzer_inline', { text: SENTENCE }), 'text_analyzer_inline', sentence);
    const pooled = await expectedAnswer(url, callOf('text_analyzer', { text: SENTENCE }), 'text_analyzer (pool)', sentence);
    const inlineSide: Side = { target: 'toolport', url, requests: [inline], requestsPerUnit: 1, bodyBytesPerUnit: inline.expect.body!.length };
    const pooledSide: Side = { target: 'toolport', url, requests: [pooled], requestsPerUnit: 1, bodyBytesPerUnit: pooled.expect.body!.length };
    log('  text_analyzer on one sentence: inline, then in the pool (interleaved), c=1');
    const [inlineFigure, pooledFigure] = await measureSides(bench.generator, [inlineSide, pooledSide], 1, bench.settings, log);
    const overhead = overheadText(POOL_LABEL, inlineFigure!, pooledFigure!);
    log(`    ${overhead ?? 'no figure: errors'}`);
    const rssAfterMb = rssMb(server.pid);
    pushSoloRow(bench, {
      id: POOL_INLINE,
      label: 'REST /tools/call, text_analyzer on one sentence, inline (text_analyzer_inline)',
      figure: inlineFigure!,
      rssAfterMb,
    });
    pushSoloRow(bench, {
      id: POOL_WORKER,
      label: 'REST /tools/call, text_analyzer on one sentence, in the CPU pool',
      figure: pooledFigure!,
      rssAfterMb,
      notes: [`CPU pool: the same handler and input inline and in a worker thread, runs interleaved${overhead ? `; ${overhead}` : ''}`],
    });

    await sampleRss(`idle, ${POOL_THREADS} threads started`);

    // 2. /health while every thread is busy with 1 MB calls from 8 other clients.
    const big = await capture(url, callOf('text_analyzer', { text: ONE_MB_OF_WORDS, topTerms: 1 }));
    check(big.status === 200 && (big.json as any)?.structuredContent?.words === 200_000, 'text_analyzer on 1 MB of words', big);
    const cpuRequest: LoadRequest = { ...callOf('text_analyzer', { text: ONE_MB_OF_WORDS, topTerms: 1 }), expect: { status: 200, body: big.body } };
    const health: LoadRequest = { method: 'GET', path: '/health', headers: {}, expect: { status: 200, contains: '"status":"ok"' } };
    const healthS = bench.settings.durationS * 2;
    log(`  GET /health (c=1) for ${healthS} s while ${CPU_CLIENTS} clients send 1 MB text_analyzer calls`);
    const load = background.run({ url, connections: CPU_CLIENTS, durationS: healthS + 2, timeoutS: 30, requests: [cpuRequest] });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // every connection has a call in flight
    const healthRun = await bench.generator.run({ url, connections: 1, durationS: healthS, requests: [health] });
    const loadRun = await load;
    const healthSide: Side = { target: 'toolport', url, requests: [health], requestsPerUnit: 1, bodyBytesPerUnit: 0 };
    const healthFigure = figureOf(healthSide, 1, [healthRun]);
    const background1MB = figureOf({ ...healthSide, requests: [cpuRequest] }, CPU_CLIENTS, [loadRun]);
    const during = `${loadRun.responses} text_analyzer calls of 1 MB answered in ${loadRun.durationS} s (c=${CPU_CLIENTS}, p50 ${loadRun.p50Ms.toFixed(0)} ms, ${background1MB.ok ? 'all correct' : `ERRORS: ${background1MB.error}`})`;
    log(`    /health p50 ${healthRun.p50Ms.toFixed(2)} ms, p99 ${healthRun.p99Ms.toFixed(2)} ms, max ${healthRun.maxMs.toFixed(1)} ms; meanwhile ${during}`);
    bench.results.loads.push({
      id: HEALTH_UNDER_CPU,
      label: `GET /health while ${CPU_CLIENTS} clients send 1 MB text_analyzer calls`,
      connections: 1,
      toolport: background1MB.ok ? healthFigure : { ...healthFigure, ok: false, error: `the background load failed: ${background1MB.error}` },
      ratioFloor: null,
      ratioSdk: null,
      rssAfterMb: rssMb(server.pid),
      baselineRssMb: {},
      notes: [`/health under CPU load: meanwhile ${during}`],
    });
    await sampleRss(`after ${CPU_CLIENTS} clients' 1 MB calls`);
  } finally {
    cleanups.splice(cleanups.indexOf(closeBackground), 1);
    background.close();
    cleanups.splice(cleanups.indexOf(stopServer), 1);
    await stopServer();
  }
}

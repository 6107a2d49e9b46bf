/** Phase `cold`: spawn → healthy, on each backend, on a small and a large registry, from dist/ (and the source, for comparison). */

import { cleanups } from '../cleanup.ts';
import { COLD_TOTAL, log, ROOT } from '../common.ts';
import { type BenchDatabase, countTools, createPgliteDatabase, createPostgresDatabase, seedWithCli, setToolCount } from '../lib/db.ts';
import type { ColdStart } from '../lib/report.ts';
import { firstStdioList } from '../lib/stdio-start.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

const median = (values: number[]) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

type Variant = Pick<ColdStart, 'backend' | 'tools' | 'build' | 'fresh'>;

/** `runs` starts of one variant; `database()` gives the database of each run (a fresh one per run for a fresh data dir). */
async function measure(bench: Bench, variant: Variant, database: () => Promise<{ db: BenchDatabase; done: () => Promise<void> }>): Promise<void> {
  const runsMs: number[] = [];
  let error: string | undefined;
  let failures = 0;
  for (let run = 0; run < bench.settings.coldRuns; run++) {
    const { db, done } = await database();
    try {
      const toolport = await startToolport(db, { cwd: ROOT, build: variant.build });
      runsMs.push(Math.round(toolport.startMs));
      await toolport.stop();
    } catch (caught) {
      error = (caught as Error).message;
      // Killed from outside (a shared machine) rather than failed: retry twice, saying so.
      if (++failures > 2 || !/SIGINT|SIGTERM|SIGKILL/.test(error)) break;
      bench.incident(`cold start ${variant.backend}, ${variant.tools} tools: ${error.split(';')[0]} (signal in its output); started again`);
      error = undefined;
      run--;
    } finally {
      await done();
    }
  }
  bench.results.coldStart.push({
    ...variant,
    runsMs,
    medianMs: median(runsMs),
    minMs: runsMs.length ? Math.min(...runsMs) : null,
    ...(error ? { error } : {}),
  });
  const label = `${variant.fresh ? 'fresh data dir, ' : ''}${variant.tools} tools, ${variant.build}`;
  log(`  ${label}: ${runsMs.join(', ')} ms${error ? ` ERROR ${error}` : ''}`);
}

/** A desktop client's first connection: `toolport mcp finance` on a fresh data dir, spawned, to its first tools/list. */
async function measureStdio(bench: Bench): Promise<void> {
  const runsMs: number[] = [];
  let error: string | undefined;
  for (let run = 0; run < bench.settings.coldRuns && !error; run++) {
    try {
      runsMs.push(Math.round(await firstStdioList(ROOT, 'finance')));
    } catch (caught) {
      error = (caught as Error).message;
    }
  }
  bench.results.coldStart.push({
    backend: 'pglite',
    tools: 7,
    build: 'dist',
    fresh: true,
    entry: 'stdio',
    runsMs,
    medianMs: median(runsMs),
    minMs: runsMs.length ? Math.min(...runsMs) : null,
    ...(error ? { error } : {}),
  });
  log(`  fresh data dir, toolport mcp finance → first tools/list: ${runsMs.join(', ')} ms${error ? ` ERROR ${error}` : ''}`);
}

/**
 * Spawn → every listener healthy: on each backend with 10 and 10,000 tools
 * (existing databases), the 10-tool case also from the source through tsx;
 * on PGlite also a fresh data dir (a copy of the migrated template, the
 * seed), started as `npm start` and as `toolport mcp` over stdio.
 */
export async function cold(bench: Bench): Promise<void> {
  const backends: ('postgres' | 'pglite')[] = bench.db.kind === 'postgres' ? ['postgres', 'pglite'] : ['pglite'];
  for (const backend of backends) {
    log(`\n== cold start (${backend})`);
    if (backend === 'pglite') {
      await measure(bench, { backend, tools: 7, build: 'dist', fresh: true }, async () => {
        const fresh = await createPgliteDatabase();
        return { db: fresh, done: () => fresh.dispose() };
      });
      await measureStdio(bench);
    }
    const db = backend === 'postgres' ? await createPostgresDatabase(bench.settings.databaseUrl!) : await createPgliteDatabase();
    const dispose = () => db.dispose();
    cleanups.push(dispose);
    const existing = async () => ({ db, done: async () => {} });
    try {
      seedWithCli(db, ROOT);
      for (const total of [10, COLD_TOTAL]) {
        const finance = await countTools(db, 'finance');
        await setToolCount(db, 'utility', total - finance);
        await db.release();
        await measure(bench, { backend, tools: total, build: 'dist' }, existing);
        if (total === 10) await measure(bench, { backend, tools: total, build: 'source' }, existing);
      }
    } finally {
      cleanups.splice(cleanups.indexOf(dispose), 1);
      await dispose();
    }
  }
}

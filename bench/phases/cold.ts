/** Phase `cold`: spawn → healthy, on each backend, on a small and a large registry. */

import { cleanups } from '../cleanup.ts';
import { COLD_TOTAL, log, ROOT } from '../common.ts';
import { countTools, createPgliteDatabase, createPostgresDatabase, seedWithCli, setToolCount } from '../lib/db.ts';
import type { ColdStart } from '../lib/report.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

const median = (values: number[]) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Spawn → every listener healthy, on each backend, with 10 and 10,000 tools (own databases, existing data). */
export async function cold(bench: Bench): Promise<void> {
  const backends: ('postgres' | 'pglite')[] = bench.db.kind === 'postgres' ? ['postgres', 'pglite'] : ['pglite'];
  for (const backend of backends) {
    log(`\n== cold start (${backend})`);
    const db = backend === 'postgres' ? await createPostgresDatabase(bench.settings.databaseUrl!) : await createPgliteDatabase();
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
        for (let run = 0; run < bench.settings.coldRuns; run++) {
          try {
            const toolport = await startToolport(db, { cwd: ROOT });
            runsMs.push(Math.round(toolport.startMs));
            await toolport.stop();
          } catch (caught) {
            error = (caught as Error).message;
            // Killed from outside (a shared machine) rather than failed: retry twice, saying so.
            if (++failures > 2 || !/SIGINT|SIGTERM|SIGKILL/.test(error)) break;
            bench.incident(`cold start ${backend}, ${total} tools: ${error.split(';')[0]} (signal in its output); started again`);
            error = undefined;
            run--;
          }
        }
        const result: ColdStart = {
          backend,
          tools: total,
          runsMs,
          medianMs: median(runsMs),
          minMs: runsMs.length ? Math.min(...runsMs) : null,
          ...(error ? { error } : {}),
        };
        bench.results.coldStart.push(result);
        log(`  ${total} tools: ${runsMs.join(', ')} ms${error ? ` ERROR ${error}` : ''}`);
      }
    } finally {
      cleanups.splice(cleanups.indexOf(dispose), 1);
      await dispose();
    }
  }
}

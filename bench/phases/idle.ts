/** Phase `idle`: the RSS of a started Toolport that has served nothing yet, from dist/ and from the source. */

import { cleanups } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { countTools, createPgliteDatabase, createPostgresDatabase, seedWithCli, setToolCount } from '../lib/db.ts';
import { sleep } from '../lib/processes.ts';
import type { IdleRss } from '../lib/report.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

/** When the settled figure is read: V8's memory reducer runs on an idle process after some 20–30 s and returns start-up's garbage. */
export const SETTLED_S = 60;

export async function idle(bench: Bench): Promise<void> {
  const backends: ('postgres' | 'pglite')[] = bench.db.kind === 'postgres' ? ['postgres', 'pglite'] : ['pglite'];
  for (const backend of backends) {
    log(`\n== idle RSS (${backend})`);
    const db = backend === 'postgres' ? await createPostgresDatabase(bench.settings.databaseUrl!) : await createPgliteDatabase();
    const dispose = () => db.dispose();
    cleanups.push(dispose);
    try {
      seedWithCli(db, ROOT);
      await setToolCount(db, 'utility', 10 - (await countTools(db, 'finance')));
      await db.release();
      for (const build of ['dist', 'source'] as const) {
        const figure: IdleRss = { backend, build, earlyMb: undefined, settledMb: undefined };
        try {
          const toolport = await startToolport(db, { cwd: ROOT, build });
          await sleep(5_000);
          figure.earlyMb = toolport.rss();
          await sleep((SETTLED_S - 5) * 1000);
          figure.settledMb = toolport.rss();
          await toolport.stop();
        } catch (error) {
          figure.error = (error as Error).message;
        }
        bench.results.idle.push(figure);
        log(
          `  ${build}: ${figure.earlyMb?.toFixed(1)} MB after 5 s, ${figure.settledMb?.toFixed(1)} MB after ${SETTLED_S} s${figure.error ? ` ERROR ${figure.error}` : ''}`,
        );
      }
    } finally {
      cleanups.splice(cleanups.indexOf(dispose), 1);
      await dispose();
    }
  }
}

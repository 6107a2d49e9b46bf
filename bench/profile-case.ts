/** The profile mode of `npm run bench`: the cases it knows, and the run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanups } from './cleanup.ts';
import { COLD_TOTAL, log, RESULTS, ROOT, SMALL_UTILITY } from './common.ts';
import { legacyCallCase, modernCallCase, modernListCase, registerRequests, restCallCase, restListCase } from './lib/cases.ts';
import { type BenchDatabase, setToolCount } from './lib/db.ts';
import { LoadGenerator } from './lib/loadgen.ts';
import { type Figure, measureSides, type Side } from './lib/measure.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';
import type { Settings } from './lib/settings.ts';
import { mainThreadProfile, startToolport } from './lib/targets.ts';
import { toolportOnly } from './phases/bench.ts';

/** BENCH_PROFILE=<case>: one case against Toolport under `node --cpu-prof`, summarized (load window only). */
export const PROFILE_CASES: Record<string, { utility: number; servers?: 'finance' }> = {
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

export async function profile(settings: Settings, db: BenchDatabase, caseId: string): Promise<void> {
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
  process.stdout.write(
    `\n${figure ? `${caseId} at c=${connections}: ${figure.ok ? `${Math.round(figure.rps!)} req/s, p99 ${figure.p99Ms} ms` : figure.error}\n` : ''}${text}\n`,
  );
  writeFileSync(
    join(dir, `${caseId}.summary.json`),
    JSON.stringify({ caseId, connections, figure: figure ? { ...figure, runs: undefined } : undefined, ...summary }, null, 2),
  );
  log(`\nprofile: ${file}\nsummary: ${join(dir, `${caseId}.summary.json`)}`);
}

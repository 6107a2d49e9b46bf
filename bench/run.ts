/**
 * `npm run bench`: Toolport against the HTTP floor (bare Hono) and the
 * official MCP SDK v2, in one run, on this machine. Prints a markdown report
 * and writes it, with every run's figures, under bench/results/.
 * Knobs (env): see bench/lib/settings.ts and bench/results/README.md.
 * `BENCH_PROFILE=<case> npm run bench` profiles one case instead (node --cpu-prof).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../scripts/dist.mjs';
import { cleanup, cleanups } from './cleanup.ts';
import { log, RESULTS, ROOT, SMALL_UTILITY } from './common.ts';
import {
  type BenchDatabase,
  createPgliteDatabase,
  createPostgresDatabase,
  DEFAULT_POSTGRES_URL,
  postgresReachable,
  seedWithCli,
  setToolCount,
} from './lib/db.ts';
import { CAN_PIN, LOAD_CPU, pin } from './lib/processes.ts';
import { renderMarkdown } from './lib/report.ts';
import { loadSettings, type Settings } from './lib/settings.ts';
import { access } from './phases/access.ts';
import { Bench } from './phases/bench.ts';
import { calls } from './phases/calls.ts';
import { cold } from './phases/cold.ts';
import { gateway } from './phases/gateway.ts';
import { http } from './phases/http.ts';
import { idle } from './phases/idle.ts';
import { lists } from './phases/lists.ts';
import { metrics } from './phases/metrics.ts';
import { register } from './phases/register.ts';
import { registry } from './phases/registry.ts';
import { sql } from './phases/sql.ts';
import { upstream } from './phases/upstream.ts';
import { workers } from './phases/workers.ts';
import { PROFILE_CASES, profile } from './profile-case.ts';
import { caseTargets, finish } from './verdicts.ts';

async function openDatabase(settings: Settings): Promise<BenchDatabase> {
  if (settings.backend !== 'pglite' && (await postgresReachable(settings.databaseUrl!))) return createPostgresDatabase(settings.databaseUrl!);
  if (settings.backend === 'postgres') throw new Error(`BENCH_BACKEND=postgres but ${settings.databaseUrl} is not reachable`);
  return createPgliteDatabase();
}

async function main(): Promise<void> {
  pin(process.pid, LOAD_CPU);
  const settings = loadSettings(DEFAULT_POSTGRES_URL);
  // Toolport runs as `npm start` runs it: the production build, built first when src/ changed.
  ensureBuilt();
  const db = await openDatabase(settings);
  cleanups.push(() => db.dispose());
  log(`bench database: ${db.describe}${CAN_PIN ? '' : ' (taskset unavailable or < 2 cores: processes are NOT pinned)'}`);
  seedWithCli(db, ROOT);
  await setToolCount(db, 'utility', SMALL_UTILITY);
  await db.release();

  if (settings.profile) return profile(settings, db, settings.profile);

  const bench = new Bench(settings, db);
  if (db.kind === 'pglite' && settings.backend === 'auto')
    bench.results.database.note = `no Postgres reachable at ${settings.databaseUrl}: every phase ran on PGlite`;
  const phases: [string, () => Promise<void>][] = [
    ['calls', () => calls(bench)],
    ['register', () => register(bench)],
    ['lists', () => lists(bench)],
    ['cold', () => cold(bench)],
    ['idle', () => idle(bench)],
    ['workers', () => workers(bench)],
    ['http', () => http(bench)],
    ['sql', () => sql(bench)],
    ['access', () => access(bench)],
    ['gateway', () => gateway(bench)],
    ['registry', () => registry(bench)],
    ['metrics', () => metrics(bench)],
    ['upstream', () => upstream(bench)],
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
  finish(bench);
  const markdown = renderMarkdown(bench.results, caseTargets(bench));
  mkdirSync(RESULTS, { recursive: true });
  const stamp = bench.results.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS, `bench-${stamp}.json`), JSON.stringify(bench.results, null, 2));
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(bench.results, null, 2));
  writeFileSync(join(RESULTS, 'latest.md'), markdown + '\n');
  process.stdout.write('\n' + markdown + '\n');
  log(`\nwritten: bench/results/bench-${stamp}.json, bench/results/latest.json, bench/results/latest.md (${bench.results.elapsedS} s)`);
  const missed = bench.results.targets.filter((target) => target.met === false);
  if (missed.length)
    log(
      `missed: ${missed.map((t) => t.id).join(', ')} — profile one with BENCH_PROFILE=<case> npm run bench (cases: ${Object.keys(PROFILE_CASES).join(', ')})`,
    );
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

/**
 * Every knob of `npm run bench`, from the environment (see bench/results/README.md).
 * BENCH_QUICK=1 gives a ~1.5 minute smoke run; the defaults take ~5 minutes here.
 */

function number(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function list(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  return raw
    ? raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : fallback;
}

export const PHASES = ['cold', 'idle', 'calls', 'register', 'lists', 'workers', 'http', 'sql', 'access', 'gateway', 'registry', 'metrics', 'upstream'] as const;
export type Phase = (typeof PHASES)[number];

export interface Settings {
  durationS: number;
  warmupS: number;
  runs: number;
  concurrency: number[];
  coldRuns: number;
  notifyRegistrations: number;
  notifyTimeoutMs: number;
  registerAmount: number;
  registerConnections: number;
  databaseUrl: string | undefined;
  backend: 'auto' | 'postgres' | 'pglite';
  phases: Phase[];
  profile: string | undefined;
  profileS: number;
  quick: boolean;
}

export function loadSettings(defaultDatabaseUrl: string): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  const phases = list('BENCH_PHASES', [...PHASES]);
  for (const phase of phases) {
    if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`BENCH_PHASES: unknown phase "${phase}" (known: ${PHASES.join(', ')})`);
  }
  const backend = process.env.BENCH_BACKEND ?? 'auto';
  if (!['auto', 'postgres', 'pglite'].includes(backend)) throw new Error(`BENCH_BACKEND must be auto, postgres or pglite, got "${backend}"`);
  return {
    durationS: number('BENCH_DURATION_S', quick ? 1 : 3),
    warmupS: number('BENCH_WARMUP_S', quick ? 0.5 : 1),
    runs: Math.round(number('BENCH_RUNS', 2)),
    concurrency: list('BENCH_CONCURRENCY', ['1', '32']).map(Number),
    coldRuns: Math.round(number('BENCH_COLD_RUNS', quick ? 1 : 3)),
    notifyRegistrations: Math.round(number('BENCH_REGISTRATIONS', quick ? 50 : 200)),
    notifyTimeoutMs: number('BENCH_NOTIFY_TIMEOUT_MS', 2000),
    registerAmount: Math.round(number('BENCH_REGISTER_AMOUNT', quick ? 100 : 500)),
    registerConnections: Math.round(number('BENCH_REGISTER_CONNECTIONS', 8)),
    databaseUrl: process.env.BENCH_DATABASE_URL || defaultDatabaseUrl,
    backend: backend as Settings['backend'],
    phases: phases as Phase[],
    profile: process.env.BENCH_PROFILE || undefined,
    profileS: number('BENCH_PROFILE_S', 10),
    quick,
  };
}

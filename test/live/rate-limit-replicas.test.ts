import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/auth/rate-limiter.ts';
import { parseRateSpec } from '../../src/auth/rate-spec.ts';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createRateLimitStore, type RateLimitStore } from '../../src/db/rate-limit-store.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { ROOT } from '../support/process.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/rate-limit-replicas: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const WORKER = fileURLToPath(new URL('../support/rate-limit-worker.ts', import.meta.url));

interface WorkerReport {
  admitted: number;
  refused: number;
  leases: number;
}

interface Worker {
  /** Resolves when the worker is connected and waits for go() (hammer mode). */
  ready: Promise<void>;
  go(): void;
  /** What it printed at its end. */
  report: Promise<WorkerReport>;
}

/** One replica: a real process with its own RateLimiter and connection pool. */
function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [TSX, WORKER], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (/^ready$/m.test(out)) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const report = new Promise<WorkerReport>((resolve, reject) =>
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as WorkerReport);
      else reject(new Error(`rate-limit worker exited with ${code}:\n${out}\n${err}`));
    }),
  );
  return { ready: Promise.race([ready, report.then(() => {})]), go: () => child.stdin.end('go\n'), report };
}

describe.skipIf(!TEST_DATABASE_URL)('rate limits shared by two real processes on one PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let database: Database;
  let store: RateLimitStore;

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    database = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 });
    await migrate(database, url);
    store = createRateLimitStore(database);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('two replicas hammering one 100/min limit for 2.5 s admit 100 (+ the refill) together, within 10 %', async () => {
    const common = { DATABASE_URL: url, BUCKET: 'key:shared', RATE: '100/min', WINDOW_MS: '2500' };
    const workers = [startWorker(common), startWorker(common)];
    // Both start at the same instant, once their start-up (tsx, connecting) is done.
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.go();
    const [a, b] = (await Promise.all(workers.map((worker) => worker.report))) as [WorkerReport, WorkerReport];
    const sum = a.admitted + b.admitted;
    // 100 in the bucket plus 2.5 s × 100/60 s ≈ 4 refilled.
    expect(sum).toBeGreaterThanOrEqual(90);
    expect(sum).toBeLessThanOrEqual(110);
    expect(a.admitted).toBeGreaterThan(0);
    expect(b.admitted).toBeGreaterThan(0);
    // Each refused many calls (they hammered), and leased in chunks: far fewer round trips than calls.
    expect(a.refused).toBeGreaterThan(a.admitted);
    expect(b.refused).toBeGreaterThan(b.admitted);
    expect(a.leases + b.leases).toBeLessThan((a.admitted + a.refused + b.admitted + b.refused) / 10);
    console.info(`rate-limit replicas: A admitted ${a.admitted} (${a.leases} leases), B admitted ${b.admitted} (${b.leases} leases), sum ${sum}`);
  }, 30_000);

  it('a replica that stops gives its unused lease back to the row', async () => {
    // 100/h: one token refills in 36 s, so the process's start and exit do not blur the count.
    const report = await startWorker({ DATABASE_URL: url, BUCKET: 'key:give-back', RATE: '100/h', MODE: 'take-one' }).report;
    expect(report.admitted).toBe(1);
    // It leased 4 (4 % of 100), spent 1 and returned 3 on stop: 99 left (plus what refilled since).
    const level = await store.level('key:give-back');
    expect(level!.tokens).toBeGreaterThanOrEqual(98.9);
    expect(level!.tokens).toBeLessThan(99.2);
  }, 30_000);

  describe('while the database does not answer', () => {
    let proxy: TcpProxy;
    let cut: Database;
    const lines: string[] = [];

    beforeAll(async () => {
      const target = new URL(url);
      proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      const through = new URL(url);
      through.port = String(proxy.port);
      cut = await openDatabase({ databaseUrl: through.toString(), dataDir: '', poolSize: 2 });
    });
    afterAll(async () => {
      await cut?.close();
      await proxy?.close();
    });

    it('each process enforces its local share (limit / expected replicas), logs it once, and shares again when it answers', async () => {
      const rates = new RateLimiter({
        store: createRateLimitStore(cut),
        logger: createLogger('info', (line) => lines.push(line)),
        expectedReplicas: 2,
        leaseTimeoutMs: 500,
        probeEveryMs: 100,
      });
      const spec = parseRateSpec('20/min');
      const checks = [{ key: 'server:outage', spec }];
      try {
        expect((await rates.admit(checks)).ok).toBe(true);
        await proxy.cut();
        let admitted = 0;
        for (let i = 0; i < 40; i++) if ((await rates.admit(checks)).ok) admitted++;
        // Its share is 10 of 20; what was left of its lease (1 % of 20 = a lease of 1, spent) adds nothing.
        expect(admitted).toBeGreaterThanOrEqual(10);
        expect(admitted).toBeLessThanOrEqual(11);
        expect(rates.stats().unavailable).toBe(true);
        const warnings = lines.filter((line) => line.includes('does not answer'));
        expect(warnings).toHaveLength(1);
        expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', policy: 'local-share', share: '1/2' });
        expect(warnings[0]).not.toContain(url.split('@').pop()!.split('/')[0]!);
        await proxy.restore();
        await within(10_000, async () => {
          rates.take('server:outage', spec);
          return rates.stats().unavailable ? undefined : true;
        });
        expect(lines.filter((line) => line.includes('answers again'))).toHaveLength(1);
      } finally {
        await rates.stop();
      }
    }, 30_000);

    it("whenUnavailable 'refuse' answers `unavailable` instead", async () => {
      await proxy.cut();
      const rates = new RateLimiter({ store: createRateLimitStore(cut), whenUnavailable: 'refuse', leaseTimeoutMs: 300, probeEveryMs: 100 });
      try {
        const result = await rates.admit([{ key: 'server:closed', spec: parseRateSpec('20/min') }]);
        expect(result).toMatchObject({ ok: false, reason: 'unavailable', bucket: 'server:closed' });
      } finally {
        await rates.stop();
        await proxy.restore();
      }
    }, 30_000);
  });
});

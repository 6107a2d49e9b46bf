// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditInsert, AuditStore } from '../../src/db/audit-store.ts';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { digestArguments } from '../../src/observability/audit-entry.ts';
import { AuditLog, type AuditLogOptions, type AuditSink } from '../../src/observability/audit-queue.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { createLogger, silentLogger } from '../../src/shared/logger.ts';
import { within } from '../live/within.ts';
import { backends, createPostgresDatabase, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

/**
 * The audit queue over real databases: batching (few INSERTs, nothing lost
 * after stop), the bounded queue and the database outage (record() never
 * throws, every drop counted and warned), retention, the digest, and full
 * arguments only with TOOLPORT_AUDIT_ARGUMENTS=1.
 */

/** The real store, with its INSERT statements counted (a spy around it, not a stand-in). */
function counted(store: AuditStore) {
  const sink = {
    inserts: 0,
    insert(rows: readonly AuditInsert[]) {
      sink.inserts++;
      return store.insert(rows);
    },
    deleteOlderThan: (cutoff: Date, limit: number) => store.deleteOlderThan(cutoff, limit),
  };
  return sink;
}

function capturedLogger() {
  const lines: any[] = [];
  return { lines, logger: createLogger('debug', (line) => lines.push(JSON.parse(line))) };
}

function auditLog(store: AuditSink, options: Partial<AuditLogOptions> = {}) {
  return new AuditLog({ store, logger: silentLogger, storeArguments: false, retentionDays: 30, ...options });
}

const call = (index: number, extra: Record<string, unknown> = {}) => ({
  action: 'call',
  actor: 'key:0b5e',
  actorName: 'ci-agent',
  requestId: `req-${index}`,
  serverId: 'finance',
  tool: 'get_stock_price',
  outcome: 'ok',
  durationMs: 1.5,
  arguments: { symbol: 'AAPL', n: index },
  ...extra,
});

async function count(db: TestDatabase, where = 'true'): Promise<number> {
  const result = await db.database.query(`select count(*)::int as n from audit_log where ${where}`);
  return result.rows[0]!.n as number;
}

describe('canonical JSON and the arguments digest', () => {
  it('is stable for reordered keys at every depth, and differs when a value or an array order differs', () => {
    const a = { symbol: 'AAPL', options: { range: [1, { to: 2, from: 1 }], currency: 'USD' }, n: 1.5 };
    const b = { n: 1.5, options: { currency: 'USD', range: [1, { from: 1, to: 2 }] }, symbol: 'AAPL' };
    expect(canonicalJson(a)).toBe('{"n":1.5,"options":{"currency":"USD","range":[1,{"from":1,"to":2}]},"symbol":"AAPL"}');
    expect(digestArguments(a)).toBe(digestArguments(b));
    expect(digestArguments(a)).toBe(createHash('sha256').update(canonicalJson(b)).digest('hex'));
    expect(digestArguments(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(digestArguments({ ...a, n: 2 })).not.toBe(digestArguments(a));
    expect(digestArguments({ list: [1, 2] })).not.toBe(digestArguments({ list: [2, 1] }));
    // As JSON.stringify: undefined members left out, non-finite numbers null, unicode as is.
    expect(canonicalJson({ b: undefined, a: Number.NaN, c: ['é', undefined] })).toBe('{"a":null,"c":["é",null]}');
  });

  it('TOOLPORT_AUDIT_ARGUMENTS and TOOLPORT_AUDIT_RETENTION_DAYS are read once into config.audit', () => {
    expect(loadConfig({}).audit).toEqual({ storeArguments: false, retentionDays: 30 });
    expect(loadConfig({ TOOLPORT_AUDIT_ARGUMENTS: '1', TOOLPORT_AUDIT_RETENTION_DAYS: '7' }).audit).toEqual({ storeArguments: true, retentionDays: 7 });
    expect(() => loadConfig({ TOOLPORT_AUDIT_ARGUMENTS: 'yes' })).toThrow(/TOOLPORT_AUDIT_ARGUMENTS must be 0 or 1/);
    expect(() => loadConfig({ TOOLPORT_AUDIT_RETENTION_DAYS: '0' })).toThrow(/TOOLPORT_AUDIT_RETENTION_DAYS/);
  });
});

describe.each(backends)('the audit log (%s)', (backend) => {
  let db: TestDatabase;
  let store: AuditStore;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    store = new AuditStore(db.database);
  });
  afterAll(async () => {
    await db?.dispose();
  });
  const clear = () => db.database.query('delete from audit_log');

  it('1,200 records become 3 INSERTs (≤ 500 rows each); every row is there after stop()', async () => {
    await clear();
    const sink = counted(store);
    // A long interval: only the 500-row threshold and stop() may write.
    const log = auditLog(sink, { flushIntervalMs: 60_000 });
    log.start();
    for (let i = 0; i < 1200; i++) log.record(call(i));
    await within(5000, async () => (log.stats().written >= 1000 ? true : undefined), 'two full batches written');
    await log.stop();
    expect(sink.inserts).toBe(3);
    expect(log.stats()).toMatchObject({ written: 1200, batches: 3, queued: 0, dropped: 0 });
    expect(await count(db)).toBe(1200);
    const row = (await db.database.query(`select * from audit_log where request_id = 'req-7'`)).rows[0]!;
    expect(row).toMatchObject({
      actor: 'key:0b5e',
      actor_name: 'ci-agent',
      server_id: 'finance',
      tool: 'get_stock_price',
      action: 'call',
      outcome: 'ok',
      duration_ms: 1.5,
      version_before: null,
      arguments_digest: digestArguments({ symbol: 'AAPL', n: 7 }),
      arguments: null,
    });
  });

  it('concurrent flush() callers share one writer: no row twice, no extra INSERT', async () => {
    await clear();
    const sink = counted(store);
    const log = auditLog(sink);
    for (let i = 0; i < 1200; i++) log.record(call(i));
    await Promise.all([log.flush(), log.flush(), log.flush()]);
    expect(sink.inserts).toBe(3);
    expect(await count(db)).toBe(1200);
    await log.stop();
  });

  it('the timer writes a trickle within the interval, one INSERT per tick', async () => {
    await clear();
    const sink = counted(store);
    const log = auditLog(sink, { flushIntervalMs: 100 });
    log.start();
    for (let i = 0; i < 20; i++) log.record(call(i));
    await within(2000, async () => ((await count(db)) === 20 ? true : undefined), 'rows written by the timer');
    expect(sink.inserts).toBe(1);
    await log.stop();
  });

  it('record() is cheap: no await, and 10,000 calls take well under a millisecond each', () => {
    const log = auditLog(store, { capacity: 20_000 });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) log.record(call(i));
    const perCallUs = ((performance.now() - started) * 1000) / 10_000;
    expect(log.health().queued).toBe(10_000);
    // Measured about 2–4 µs per call (digest included) on the CI machine; the bound leaves room for slow runners.
    expect(perCallUs).toBeLessThan(100);
  });

  it('a full queue drops and counts (and warns once per interval, never silently); what was queued is still written', async () => {
    await clear();
    const { lines, logger } = capturedLogger();
    const log = auditLog(store, { capacity: 100, logger, dropLogIntervalMs: 60_000 });
    for (let i = 0; i < 150; i++) expect(() => log.record(call(i))).not.toThrow();
    expect(log.health()).toEqual({ queued: 100, dropped: 50 });
    expect(log.stats().droppedByReason.queue_full).toBe(50);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ msg: expect.stringMatching(/audit entries dropped/), dropped: 1, droppedTotal: 1 });
    await log.stop();
    // stop() logs the drops not logged yet: 49 more.
    expect(lines.filter((line) => line.level === 'warn').at(-1)).toMatchObject({ dropped: 49, droppedTotal: 50 });
    expect(await count(db)).toBe(100);
  });

  it('after stop(), record() still never throws and counts what it drops', async () => {
    const log = auditLog(store);
    await log.stop();
    expect(() => log.record(call(1))).not.toThrow();
    expect(log.stats().droppedByReason.stopped).toBe(1);
  });

  it('retention deletes rows older than TOOLPORT_AUDIT_RETENTION_DAYS only, in chunks, at start', async () => {
    await clear();
    const day = 86_400_000;
    const now = Date.now();
    const log = auditLog(store, { retentionDays: 30, retentionChunk: 2 });
    for (const [index, ageDays] of [40, 31, 35, 400, 33, 29, 1, 0].entries()) log.record({ ...call(index), at: new Date(now - ageDays * day) });
    await log.flush();
    expect(await count(db)).toBe(8);
    const sink = counted(store);
    let chunks = 0;
    const chunked: AuditSink = {
      insert: sink.insert,
      deleteOlderThan: (cutoff, limit) => {
        chunks++;
        return store.deleteOlderThan(cutoff, limit);
      },
    };
    const sweeping = auditLog(chunked, { retentionDays: 30, retentionChunk: 2 });
    sweeping.start(); // sweeps at start
    await within(3000, async () => ((await count(db)) === 3 ? true : undefined), 'old rows deleted');
    await sweeping.stop();
    // 5 old rows in chunks of 2: 2 + 2 + 1.
    expect(chunks).toBe(3);
    const left = await db.database.query(`select request_id from audit_log order by at`);
    expect(left.rows.map((row) => row.request_id)).toEqual(['req-5', 'req-6', 'req-7']);
    expect(await log.sweepNow()).toBe(0);
  });

  it('full arguments are stored only with TOOLPORT_AUDIT_ARGUMENTS=1; the digest always', async () => {
    await clear();
    const args = { symbol: 'MSFT', when: { to: '2026-12-01', from: '2026-11-01' } };
    const plain = auditLog(store, { storeArguments: false });
    plain.record(call(1, { requestId: 'plain', arguments: args }));
    await plain.stop();
    const full = auditLog(store, { storeArguments: true });
    full.record(call(2, { requestId: 'full', arguments: args }));
    full.record(call(3, { requestId: 'none', arguments: undefined }));
    await full.stop();
    const rows = (await db.database.query(`select request_id, arguments, arguments_digest from audit_log order by request_id`)).rows;
    const byId = Object.fromEntries(rows.map((row) => [row.request_id, row]));
    expect(byId.plain).toMatchObject({ arguments: null, arguments_digest: digestArguments(args) });
    expect(byId.full).toMatchObject({ arguments: args, arguments_digest: digestArguments(args) });
    expect(byId.none).toMatchObject({ arguments: null, arguments_digest: null });
  });

  it('secret references in details are stored as the references they are; NUL characters do not lose a batch; a refused row is dropped alone', async () => {
    await clear();
    const log = auditLog(store, { storeArguments: true });
    log.record({
      action: 'update',
      actor: 'admin-token',
      serverId: 'utility',
      tool: 'billing',
      outcome: 'ok',
      versionBefore: 3,
      versionAfter: 4,
      details: { handlerConfig: { headers: { authorization: 'Bearer ${secret:BILLING_TOKEN}' } } },
    });
    log.record(call(1, { requestId: 'nul', tool: 'a\u0000b', arguments: { text: 'x\u0000y', literal: '\\u0000' } }));
    // A lone surrogate: JSON.stringify writes it as "\ud800", which PostgreSQL refuses in jsonb (22P02).
    log.record(call(2, { requestId: 'refused', arguments: { text: '\ud800' } }));
    log.record(call(3, { requestId: 'after' }));
    await log.stop();
    expect(log.stats()).toMatchObject({ written: 3, droppedByReason: { rejected: 1 } });
    const rows = (await db.database.query(`select request_id, tool, arguments, details, version_before, version_after from audit_log order by id`)).rows;
    expect(rows.map((row) => row.request_id)).toEqual([null, 'nul', 'after']);
    expect(rows[0]).toMatchObject({
      version_before: 3,
      version_after: 4,
      details: { handlerConfig: { headers: { authorization: 'Bearer ${secret:BILLING_TOKEN}' } } },
    });
    expect(rows[1]).toMatchObject({ tool: 'a\ufffdb', arguments: { text: 'x\ufffdy', literal: '\\u0000' } });
  });
});

describe.each(backends)('while the database is down (%s)', (backend) => {
  it('record() never throws; a batch is kept for maxAttempts flushes, then dropped and counted; /health and the log say so without SQL', async () => {
    const { lines, logger } = capturedLogger();
    let cut: () => Promise<void>;
    let restore: () => Promise<void> = async () => {};
    let cleanup: () => Promise<void>;
    let database: Awaited<ReturnType<typeof openDatabase>>;
    if (backend === 'pglite') {
      database = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' });
      await migrate(database);
      cut = () => database.close();
      cleanup = async () => {};
    } else {
      const created = await createPostgresDatabase();
      const target = new URL(created.url);
      const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      const via = new URL(created.url);
      via.host = `127.0.0.1:${proxy.port}`;
      database = await openDatabase({ databaseUrl: via.toString(), dataDir: '', poolSize: 2 });
      await migrate(database, via.toString());
      cut = () => proxy.cut();
      restore = () => proxy.restore();
      cleanup = async () => {
        await database.close();
        await proxy.close();
        await created.drop();
      };
    }
    try {
      const log = new AuditLog({ store: new AuditStore(database), logger, storeArguments: true, retentionDays: 30, maxAttempts: 3 });
      await cut();
      for (let i = 0; i < 10; i++) expect(() => log.record(call(i, { arguments: { password: 'hunter2-argument' } }))).not.toThrow();
      await log.flush();
      expect(log.health()).toMatchObject({ queued: 10, dropped: 0, lastFlushError: expect.any(String) });
      await log.flush();
      await log.flush();
      const health = log.health();
      expect(health).toMatchObject({ queued: 0, dropped: 10 });
      expect(health.lastFlushError).not.toMatch(/insert|audit_log|jsonb|hunter2/i);
      const warn = lines.filter((line) => line.level === 'warn').at(-1);
      expect(warn).toMatchObject({ msg: expect.stringMatching(/audit entries dropped/), droppedTotal: 10, reasons: { database: 10 } });
      expect(JSON.stringify(lines)).not.toMatch(/insert into|hunter2/i);
      if (backend === 'postgres') {
        // A blip shorter than maxAttempts flushes loses nothing.
        log.record(call(100, { requestId: 'blip' }));
        await log.flush();
        expect(log.health().queued).toBe(1);
        await restore();
        await within(5000, async () => {
          await log.flush();
          return log.health().queued === 0 ? true : undefined;
        });
        await log.stop();
        const rows = await database.query(`select request_id from audit_log`);
        expect(rows.rows).toEqual([{ request_id: 'blip' }]);
        expect(log.health()).toEqual({ queued: 0, dropped: 10 });
      } else {
        await log.stop();
      }
    } finally {
      await cleanup();
    }
  });
});

if (!TEST_DATABASE_URL) console.warn('test/observability/audit-log: PostgreSQL runs skipped — set TEST_DATABASE_URL');

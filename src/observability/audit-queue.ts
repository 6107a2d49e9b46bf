import type { AuditInsert } from '../db/audit-store.ts';
import { isDatabaseUnavailable } from '../db/health.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import type { Logger } from '../shared/logger.ts';
import { AuditCounters, type AuditHealth, type AuditStats } from './audit-counters.ts';
import { type AuditEntry, finishAuditEntry, type PreparedAuditEntry, prepareAuditEntry } from './audit-entry.ts';
import { type AuditRetentionStore, deleteExpired } from './audit-retention.ts';

/**
 * The audit log of one process. `record()` is all the call path pays: it
 * turns the entry into a row (the arguments' digest) and pushes it onto an
 * in-memory queue — no await, no throw. A timer writes the queue in batches
 * (every flushIntervalMs, or as soon as batchSize rows wait) with one INSERT
 * each. The queue is bounded: when it is full, or the database stays down
 * past maxAttempts flushes, entries are dropped — and counted, shown by
 * health() on /health and warned in the log once per dropLogIntervalMs.
 * A kill -9 loses what is queued: at most one flush interval of events (or
 * everything kept while the database was down).
 */

export interface AuditSink extends AuditRetentionStore {
  /** One statement per batch; rejects as a whole. */
  insert(rows: readonly AuditInsert[]): Promise<void>;
}

export interface AuditLogOptions {
  store: AuditSink;
  logger: Logger;
  /** TOOLPORT_AUDIT_ARGUMENTS=1: keep full arguments beside the digest. */
  storeArguments: boolean;
  /** TOOLPORT_AUDIT_RETENTION_DAYS. */
  retentionDays: number;
  flushIntervalMs?: number;
  batchSize?: number;
  /** Rows held at most (queued plus the batch being written). */
  capacity?: number;
  /** Flushes a batch may fail (database down) before it is dropped: 3 → kept about 3 s. */
  maxAttempts?: number;
  dropLogIntervalMs?: number;
  retentionIntervalMs?: number;
  retentionChunk?: number;
  now?: () => number;
}

interface Pending {
  entry: PreparedAuditEntry;
  /** Made at the first flush attempt, kept for the retries. */
  row?: AuditInsert;
  attempts: number;
}

/** Class 22 (data exception) and 23 (integrity): the batch itself is refused, retrying it as is cannot help. */
function isRowProblem(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export class AuditLog {
  private readonly store: AuditSink;
  private readonly logger: Logger;
  private readonly storeArguments: boolean;
  private readonly retentionDays: number;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly capacity: number;
  private readonly maxAttempts: number;
  private readonly retentionIntervalMs: number;
  private readonly retentionChunk: number;
  private readonly now: () => number;

  private queue: Pending[] = [];
  private inFlight = 0;
  private flushing: Promise<void> | undefined;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;
  private retention: Promise<unknown> | undefined;
  private soonScheduled = false;
  private started = false;
  private stopped = false;

  private readonly counters: AuditCounters;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.storeArguments = options.storeArguments;
    this.retentionDays = options.retentionDays;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    this.capacity = options.capacity ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retentionIntervalMs = options.retentionIntervalMs ?? 3_600_000;
    this.retentionChunk = options.retentionChunk ?? 1000;
    this.now = options.now ?? Date.now;
    this.counters = new AuditCounters({
      logger: options.logger,
      dropLogIntervalMs: options.dropLogIntervalMs ?? 10_000,
      now: this.now,
      queued: () => this.queue.length + this.inFlight,
    });
  }

  /** Start the flush timer and the retention sweep (now, then every retentionIntervalMs). Timers do not keep the process alive. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.flushTimer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.flushTimer.unref();
    this.retentionTimer = setInterval(() => this.sweep(), this.retentionIntervalMs);
    this.retentionTimer.unref();
    this.sweep();
  }

  /** Queue one event. Synchronous and cheap; never throws, never waits. */
  record(entry: AuditEntry): void {
    try {
      if (this.stopped) return this.counters.drop('stopped', 1);
      if (this.queue.length + this.inFlight >= this.capacity) return this.counters.drop('queue_full', 1);
      this.queue.push({ entry: prepareAuditEntry(entry, this.storeArguments, this.now()), attempts: 0 });
      if (this.started && this.queue.length >= this.batchSize && !this.soonScheduled) {
        this.soonScheduled = true;
        setImmediate(() => {
          this.soonScheduled = false;
          this.tick();
        });
      }
    } catch {
      try {
        this.counters.drop('invalid', 1);
      } catch {
        // Counting failed too: nothing more can be done without throwing into the caller.
      }
    }
  }

  /** Write everything queued now (waits for a flush in progress first). Resolves even when the database is down. */
  async flush(): Promise<void> {
    // A loop, not one await: two callers waiting on the same flush must not then start two writers.
    while (this.flushing) await this.flushing;
    this.flushing = this.writeAll();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * On shutdown, after the listeners have stopped taking calls: flush what is
   * queued (one attempt), drop and count what still cannot be written, and
   * log the drops not yet logged. Later record() calls are dropped (counted).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    await this.retention?.catch(() => {});
    await this.flush();
    if (this.queue.length > 0) {
      const left = this.queue.length;
      this.queue = [];
      this.counters.drop('stopped', left);
    }
    this.counters.logDrops(true);
  }

  health(): AuditHealth {
    return this.counters.health();
  }

  stats(): AuditStats {
    return this.counters.stats();
  }

  /** Delete rows older than the retention, in chunks; resolves to how many went. Errors are logged, not thrown. */
  async sweepNow(): Promise<number> {
    const cutoff = new Date(this.now() - this.retentionDays * 86_400_000);
    try {
      return await deleteExpired(this.store, cutoff, this.retentionChunk, () => this.stopped);
    } catch (error) {
      this.logger.warn('audit retention failed; retried at the next sweep', { reason: databaseFailureReason(error) });
      return 0;
    }
  }

  private sweep(): void {
    if (this.retention) return;
    this.retention = this.sweepNow().finally(() => {
      this.retention = undefined;
    });
  }

  private tick(): void {
    this.counters.logDrops(false);
    if (this.flushing || this.queue.length === 0) return;
    this.flush().catch(() => {});
  }

  /** Batches until the queue is empty or a batch fails (then the rest waits for the next tick). */
  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight = batch.length;
      let ok: boolean;
      try {
        ok = await this.writeBatch(batch);
      } finally {
        this.inFlight = 0;
      }
      if (!ok) break;
    }
    this.counters.logDrops(false);
  }

  /** true when the batch is settled (written, or its refused rows dropped); false when the database failed. */
  private async writeBatch(batch: Pending[]): Promise<boolean> {
    try {
      this.counters.sent();
      await this.store.insert(batch.map((item) => this.rowOf(item)));
      this.counters.batchWritten(batch.length);
      return true;
    } catch (error) {
      this.counters.flushFailed(databaseFailureReason(error));
      if (isRowProblem(error) && !isDatabaseUnavailable(error)) {
        await this.writeOneByOne(batch);
        return true;
      }
      const kept = batch.filter((item) => ++item.attempts < this.maxAttempts);
      if (kept.length < batch.length) this.counters.drop('database', batch.length - kept.length);
      // Back at the front, in order: capacity counted the batch while it was in flight, so this never exceeds it.
      this.queue.unshift(...kept);
      return false;
    }
  }

  /** A refused batch (a row PostgreSQL will not take): write the rows singly, drop only the refused ones. */
  private async writeOneByOne(batch: Pending[]): Promise<void> {
    for (const item of batch) {
      try {
        this.counters.sent();
        await this.store.insert([this.rowOf(item)]);
        this.counters.rowWritten();
      } catch {
        this.counters.drop('rejected', 1);
      }
    }
  }

  private rowOf(item: Pending): AuditInsert {
    item.row ??= finishAuditEntry(item.entry, this.storeArguments);
    return item.row;
  }
}

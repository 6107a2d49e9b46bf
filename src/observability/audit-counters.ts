import type { Logger } from '../shared/logger.ts';

/**
 * The counts of one AuditLog (audit-queue.ts): rows written, INSERT
 * statements sent, entries dropped by reason, and the last flush error —
 * shown by health() on /health and by stats(); drops are warned in the log
 * once per dropLogIntervalMs (and a last time at stop), never silently.
 */

/** What /health shows. */
export interface AuditHealth {
  queued: number;
  dropped: number;
  lastFlushError?: string;
}

export type DropReason = 'queue_full' | 'database' | 'rejected' | 'stopped' | 'invalid';

export interface AuditStats extends AuditHealth {
  written: number;
  /** INSERT statements sent (successful or not). */
  batches: number;
  droppedByReason: Record<DropReason, number>;
}

export interface AuditCountersOptions {
  logger: Logger;
  dropLogIntervalMs: number;
  now: () => number;
  /** Rows held now: queued plus the batch being written. */
  queued: () => number;
}

export class AuditCounters {
  private readonly logger: Logger;
  private readonly dropLogIntervalMs: number;
  private readonly now: () => number;
  private readonly queued: () => number;

  private written = 0;
  private batches = 0;
  private dropped = 0;
  private droppedSinceLog = 0;
  private readonly droppedByReason: Record<DropReason, number> = { queue_full: 0, database: 0, rejected: 0, stopped: 0, invalid: 0 };
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private lastFlushError: string | undefined;

  constructor(options: AuditCountersOptions) {
    this.logger = options.logger;
    this.dropLogIntervalMs = options.dropLogIntervalMs;
    this.now = options.now;
    this.queued = options.queued;
  }

  health(): AuditHealth {
    return {
      queued: this.queued(),
      dropped: this.dropped,
      ...(this.lastFlushError ? { lastFlushError: this.lastFlushError } : {}),
    };
  }

  stats(): AuditStats {
    return { ...this.health(), written: this.written, batches: this.batches, droppedByReason: { ...this.droppedByReason } };
  }

  /** One INSERT statement sent (successful or not). */
  sent(): void {
    this.batches++;
  }

  /** A whole batch written: the last flush error is over. */
  batchWritten(rows: number): void {
    this.written += rows;
    this.lastFlushError = undefined;
  }

  /** One row of a refused batch written on its own. */
  rowWritten(): void {
    this.written++;
  }

  flushFailed(reason: string): void {
    this.lastFlushError = reason;
  }

  drop(reason: DropReason, count: number): void {
    this.dropped += count;
    this.droppedSinceLog += count;
    this.droppedByReason[reason] += count;
    this.logDrops(false);
  }

  /** One warn line per interval while entries are dropped (and a last one at stop): never silently. */
  logDrops(force: boolean): void {
    if (this.droppedSinceLog === 0) return;
    const now = this.now();
    if (!force && now - this.lastDropLog < this.dropLogIntervalMs) return;
    this.lastDropLog = now;
    const fields = {
      dropped: this.droppedSinceLog,
      droppedTotal: this.dropped,
      reasons: { ...this.droppedByReason },
      queued: this.queued(),
      ...(this.lastFlushError ? { lastFlushError: this.lastFlushError } : {}),
    };
    this.droppedSinceLog = 0;
    try {
      this.logger.warn('audit entries dropped (calls and writes still succeed)', fields);
    } catch {
      // A failing logger must not turn into a failing call.
    }
  }
}

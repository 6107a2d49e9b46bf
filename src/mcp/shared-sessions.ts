import { isDatabaseUnavailable } from '../db/health.ts';
import type { McpSessionRecord, McpSessionStore } from '../db/mcp-session-store.ts';
import type { Logger } from '../shared/logger.ts';

export type { McpSessionRecord } from '../db/mcp-session-store.ts';

/** What the directory needs of one endpoint's in-memory sessions (SessionStore). */
export interface LocalSessions {
  /** Ids used since the last call, and those with an open stream (in use however quiet). */
  drainUse(): string[];
  /** Forget the session here (it ended elsewhere); a no-op for an id this store does not hold. */
  remove(id: string, why: string): void;
}

/**
 * 2025-era sessions shared by every process on one database (table
 * mcp_sessions). A session is written once, when it is initialized; a
 * process that gets a request for an id it does not hold reads the row once
 * and serves the session from then on (requests after that touch no
 * database). Use is written back in batches every `flushMs`; a row nobody
 * used for the idle time is deleted by whichever process sweeps first, and a
 * deletion (DELETE /mcp on any process, the sweep, psql) reaches every
 * process through the change feed, which calls `ended`. A write that fails
 * while the database is away is kept and retried: a session opened then
 * works on this process and reaches the others once the database is back.
 */
export class SharedSessions {
  private readonly stores = new Set<LocalSessions>();
  private readonly unsaved = new Map<string, McpSessionRecord>();
  private readonly unended = new Set<string>();
  /** Sessions being recorded right now: a flush must not take their missing row for an end. */
  private readonly recording = new Set<string>();
  /** Use that could not be written, reported again by the next flush. */
  private readonly requeue = new Map<string, LocalSessions>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** How often use is written back (and how late another process may see it). */
  readonly flushMs: number;

  constructor(
    private readonly store: McpSessionStore,
    private readonly options: { idleMs: number; logger: Logger },
  ) {
    this.flushMs = Math.max(50, Math.min(15_000, Math.floor(options.idleMs / 4)));
    this.flushTimer = setInterval(() => void this.flush(), this.flushMs);
    this.flushTimer.unref();
    const sweepMs = Math.max(this.flushMs, Math.min(60_000, Math.floor(options.idleMs / 2)));
    this.sweepTimer = setInterval(() => void this.sweep(), sweepMs);
    this.sweepTimer.unref();
  }

  register(sessions: LocalSessions): () => void {
    this.stores.add(sessions);
    return () => this.stores.delete(sessions);
  }

  /** Record a new session so every process accepts its id; kept for a retry when the database is away. */
  async record(record: McpSessionRecord): Promise<void> {
    this.recording.add(record.id);
    try {
      await this.store.insert([record]);
    } catch (error) {
      this.unsaved.set(record.id, record);
      this.options.logger.warn('mcp session not recorded in the database yet: it works on this process until it is', {
        server: record.serverId,
        error: (error as Error).message,
      });
    } finally {
      this.recording.delete(record.id);
    }
  }

  /** The session with this id, if it exists and is not idle-expired. Throws when the database cannot answer. */
  async find(id: string): Promise<McpSessionRecord | undefined> {
    return this.unsaved.get(id) ?? (await this.store.find(id, this.options.idleMs));
  }

  /** End a session everywhere (DELETE /mcp); kept for a retry when the database is away. */
  async end(id: string): Promise<void> {
    this.unsaved.delete(id);
    try {
      await this.store.delete([id]);
    } catch (error) {
      this.unended.add(id);
      this.options.logger.warn('mcp session end not recorded in the database yet: retrying', { session: id, error: (error as Error).message });
    }
  }

  /** Sessions deleted in the database (the change feed), or maybe some ('all': after a reconnect). */
  async ended(ids: string[] | 'all'): Promise<void> {
    if (ids === 'all') return this.flush();
    for (const id of ids) for (const sessions of this.stores) sessions.remove(id, 'ended (DELETE, idle expiry, or another process)');
  }

  /** Write pending sessions and ends, then last use; a session whose row is gone ended elsewhere. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const used = new Map(this.requeue);
    this.requeue.clear();
    for (const sessions of this.stores) for (const id of sessions.drainUse()) used.set(id, sessions);
    try {
      if (this.unsaved.size) {
        await this.store.insert([...this.unsaved.values()]);
        this.unsaved.clear();
      }
      if (this.unended.size) {
        await this.store.delete([...this.unended]);
        this.unended.clear();
      }
      if (!used.size) return;
      const alive = new Set(await this.store.touch([...used.keys()]));
      for (const [id, sessions] of used)
        if (!alive.has(id) && !this.recording.has(id) && !this.unsaved.has(id)) sessions.remove(id, 'ended (its row in mcp_sessions is gone)');
    } catch (error) {
      // Use not written: the next flush reports these sessions again (they stay in use here meanwhile).
      for (const [id, sessions] of used) if (this.stores.has(sessions)) this.requeue.set(id, sessions);
      if (!isDatabaseUnavailable(error)) this.options.logger.warn('writing mcp session use failed', { error: (error as Error).message });
    }
  }

  private async sweep(): Promise<void> {
    try {
      // Rows are touched every flushMs: give a session in use on another process that long to be written.
      const swept = await this.store.deleteIdle(this.options.idleMs + 2 * this.flushMs);
      if (swept) this.options.logger.debug('mcp sessions expired', { sessions: swept });
    } catch (error) {
      if (!isDatabaseUnavailable(error)) this.options.logger.warn('expiring idle mcp sessions failed', { error: (error as Error).message });
    }
  }

  /** Stop the timers after writing what is pending (best effort: the database may be gone already). */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    await this.flush().catch(() => {});
  }
}

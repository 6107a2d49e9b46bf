import type { Database } from '../db/client.ts';
import { isDatabaseUnavailable } from '../db/health.ts';
import type { RegistryStore } from '../db/registry-store.ts';
import type { RegistryChangeRow } from '../db/schema.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import type { Logger } from '../shared/logger.ts';
import type { Registry } from './registry.ts';

export const CHANGE_CHANNEL = 'toolport_registry_changes';

/** A missing id this long is taken for a rolled-back transaction (sequences leave gaps). */
const GAP_TIMEOUT_MS = 10_000;
const BATCH = 5_000;
/** How far below the newest change init() looks for ids still to commit. */
const INIT_WINDOW = 1_000;
/** Past this many changed names of one server, re-reading the whole server is cheaper. */
const FULL_RELOAD_AT = 200;
/**
 * While the database does not answer, ask again this often (not every
 * pollMs): registry writes, refused meanwhile, resume within a second of
 * its return.
 */
export const RECOVERY_PROBE_MS = 250;

export interface ChangeFeedOptions {
  pollMs: number;
  retentionHours: number;
  /**
   * Servers rows changed: start, stop, move or reload listeners, and re-read
   * the named servers' snapshots ('all': every server served, a full re-sync).
   */
  onServersChanged(serverIds: string[] | 'all'): Promise<void>;
  /** data_sources rows changed (or may have: a full re-sync): re-read them whole. */
  onDataSourcesChanged?(): Promise<void>;
  /** api_keys rows changed (or may have): re-read the key ring. */
  onApiKeysChanged?(): Promise<void>;
  /**
   * mcp_sessions rows were deleted (`ids`), or may have been (`'all'`: a
   * full re-sync): those 2025-era sessions end in this process too.
   */
  onSessionsEnded?(ids: string[] | 'all'): Promise<void>;
  /** upstreams rows changed (or may have): re-read them, reconnect what changed. */
  onUpstreamsChanged?(): Promise<void>;
  onHealth(ok: boolean, error?: string): void;
  /** Changes applied (for /metrics: counted, and their commit-to-applied lag). */
  onApplied?(rows: readonly RegistryChangeRow[]): void;
}

/**
 * Keeps this process's snapshots in step with the database, whoever changed
 * it (REST on another process, psql, a script). Triggers log every change in
 * registry_changes and NOTIFY its id; this reads every change after the last
 * one applied — on a notification, whenever LISTEN (re)connects (postgres.js
 * re-listens but drops what was sent meanwhile) and on a periodic poll — and
 * re-reads exactly what changed. Applying a change means re-reading the
 * current row, so doing it twice or out of order is harmless.
 */
export class ChangeFeed {
  /** Every change with id ≤ floor is applied. */
  private floor = 0;
  /** Applied ids above the floor (there is a gap below them). */
  private readonly applied = new Set<number>();
  /** Missing ids above the floor, and when we first noticed each. */
  private readonly gaps = new Map<number, number>();
  private running: Promise<void> | undefined;
  private again = false;
  private needFullSync = false;
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private listens = 0;
  private stopped = false;
  /** What this feed last reported: false from a pass that found the database unreachable until one that reaches it. */
  private reachable = true;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly store: RegistryStore,
    private readonly registry: Registry,
    private readonly logger: Logger,
    private readonly options: ChangeFeedOptions,
  ) {}

  /** Call before the first snapshots load: changes from then on will be applied. */
  async init(): Promise<void> {
    await this.setFloor();
    // The runtime read the data sources before the floor was set: read them
    // again now, so a change made in between is not missed (a few rows, once).
    await this.options.onDataSourcesChanged?.();
  }

  private async setFloor(): Promise<void> {
    const latest = await this.store.latestChangeId();
    this.floor = latest;
    // A transaction of another process may hold a lower id and commit after
    // a higher one is visible: missing ids just below the newest are gaps to
    // wait for (the snapshots, loaded after this, already hold the rest).
    const from = Math.max(0, latest - INIT_WINDOW);
    const present = new Set(await this.store.changeIdsAfter(from));
    const now = Date.now();
    let firstMissing: number | undefined;
    for (let id = from + 1; id <= latest; id++) {
      if (present.has(id)) continue;
      firstMissing ??= id;
      this.gaps.set(id, now);
    }
    if (firstMissing === undefined || present.size === 0) {
      this.gaps.clear();
      return;
    }
    this.floor = firstMissing - 1;
    for (const id of present) if (id > this.floor) this.applied.add(id);
    for (const id of [...this.gaps.keys()]) if (id < firstMissing) this.gaps.delete(id);
  }

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(
      CHANGE_CHANNEL,
      () => this.trigger(),
      () => {
        // The first listen follows init(); every later one is a reconnect.
        if (this.listens++ > 0) {
          this.logger.info('change feed reconnected: catching up');
          this.needFullSync = true;
        }
        this.trigger();
      },
    );
    this.timer = setInterval(() => this.trigger(), this.options.pollMs);
    this.timer.unref();
    const prune = () => {
      this.store.pruneChanges(this.options.retentionHours).catch((error) => this.logger.debug('change-log prune failed', { error: (error as Error).message }));
      // Writes of the write service prune their tool's history as they go; this catches edits made in SQL.
      const keep = this.store.revisionsKeep;
      if (keep !== undefined)
        this.store
          .revisionStore()
          .prune(keep)
          .catch((error) => this.logger.debug('revision prune failed', { error: (error as Error).message }));
    };
    this.pruneTimer = setInterval(prune, 10 * 60_000);
    this.pruneTimer.unref();
    prune();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.probeTimer);
    clearInterval(this.pruneTimer);
    await this.unlisten?.().catch(() => {});
    await this.running;
  }

  /** Catch up now (coalesced: at most one pass runs, and one more is queued). */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      if (this.needFullSync) await this.fullSync();
      for (;;) {
        const rows = await this.store.changesAfter(this.floor, BATCH);
        await this.apply(rows.filter((row) => !this.applied.has(row.id)));
        this.advance(rows);
        if (rows.length < BATCH) break;
      }
      this.answered();
    } catch (error) {
      // Keep serving the snapshots and re-sync whole on the next pass; only an
      // unreachable database (not a failure of ours) makes writes fail fast.
      this.needFullSync = true;
      if (isDatabaseUnavailable(error)) {
        this.reachable = false;
        this.options.onHealth(false, databaseFailureReason(error));
        this.probeSoon();
      } else {
        this.logger.error('applying registry changes failed; retrying with a full re-sync', { error: (error as Error).message });
      }
    }
  }

  /** The database answered: healthy (this also clears a failure another part of the process reported). */
  private answered(): void {
    if (!this.reachable) {
      this.reachable = true;
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
    }
    this.options.onHealth(true);
  }

  /** Unreachable: run another pass shortly, and keep doing so until one gets through. */
  private probeSoon(): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (!this.reachable) void this.trigger();
    }, RECOVERY_PROBE_MS);
    this.probeTimer.unref();
  }

  /** Everything may have been missed (reconnect, outage): re-read every served server. */
  private async fullSync(): Promise<void> {
    const floor = await this.store.latestChangeId();
    // It answers again: let writes through now, not after re-reading every server (which may take a while).
    this.answered();
    await this.options.onDataSourcesChanged?.();
    await this.options.onApiKeysChanged?.();
    await this.options.onSessionsEnded?.('all');
    await this.options.onUpstreamsChanged?.();
    await this.options.onServersChanged('all'); // re-reads every served server
    this.floor = Math.max(this.floor, floor);
    this.applied.clear();
    this.gaps.clear();
    this.needFullSync = false;
  }

  private async apply(rows: RegistryChangeRow[]): Promise<void> {
    if (rows.length === 0) return;
    const servers = new Set<string>();
    const tools = new Map<string, Set<string>>();
    let dataSources = false;
    let apiKeys = false;
    const endedSessions: string[] = [];
    let upstreams = false;
    for (const row of rows) {
      if (row.tableName === 'upstreams') upstreams = true;
      else if (row.tableName === 'mcp_sessions') {
        if (row.name) endedSessions.push(row.name);
      } else if (row.tableName === 'data_sources') dataSources = true;
      else if (row.tableName === 'api_keys') apiKeys = true;
      else if (row.tableName === 'servers') servers.add(row.serverId);
      else if (row.name) {
        let names = tools.get(row.serverId);
        if (!names) tools.set(row.serverId, (names = new Set()));
        names.add(row.name);
      }
    }
    // Sources first: tools re-read below may name a source that was just added.
    if (dataSources) await this.options.onDataSourcesChanged?.();
    if (apiKeys) await this.options.onApiKeysChanged?.();
    if (endedSessions.length) await this.options.onSessionsEnded?.(endedSessions);
    if (upstreams) await this.options.onUpstreamsChanged?.();
    if (servers.size) await this.options.onServersChanged([...servers]);
    for (const [serverId, names] of tools) {
      if (servers.has(serverId)) continue; // reloaded whole by onServersChanged
      if (names.size > FULL_RELOAD_AT) await this.registry.loadServer(serverId);
      else await this.registry.reloadTools(serverId, [...names]);
    }
    // Session ends are not registry changes (for /metrics).
    const registryRows = endedSessions.length ? rows.filter((row) => row.tableName !== 'mcp_sessions') : rows;
    if (registryRows.length) this.options.onApplied?.(registryRows);
    this.logger.debug('applied registry changes', {
      changes: rows.length,
      servers: [...servers],
      tools: [...tools.keys()],
      dataSources,
      endedSessions: endedSessions.length,
    });
  }

  /**
   * Ids are handed out at insert but become visible at commit, so a higher id
   * can be seen before a lower one: keep the floor below any gap until the
   * gap fills or is old enough to be a rollback.
   */
  private advance(rows: RegistryChangeRow[]): void {
    const now = Date.now();
    for (const row of rows) {
      this.applied.add(row.id);
      this.gaps.delete(row.id);
    }
    const highest = rows.length ? rows[rows.length - 1]!.id : this.floor;
    for (let id = this.floor + 1; id < highest && this.gaps.size < 10_000; id++) {
      if (!this.applied.has(id) && !this.gaps.has(id)) this.gaps.set(id, now);
    }
    for (;;) {
      const next = this.floor + 1;
      if (this.applied.delete(next)) {
        this.floor = next;
        continue;
      }
      const since = this.gaps.get(next);
      if (since !== undefined && now - since > GAP_TIMEOUT_MS) {
        this.gaps.delete(next);
        this.floor = next;
        continue;
      }
      if (since === undefined && this.applied.size > 0 && this.gaps.size === 0) {
        this.floor = Math.min(...this.applied) - 1; // ids pruned or skipped wholesale
        continue;
      }
      break;
    }
  }
}

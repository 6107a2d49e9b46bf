import { EventEmitter } from 'node:events';
import type { RegistryStore } from '../db/registry-store.ts';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ArgumentsValidator } from './arguments.ts';
import { type RowValidators, validatorsOf } from './row-validators.ts';
import { SchemaChecker, schemaReason } from './schema-check.ts';
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits } from './schema-limits.ts';
import { buildEntry, makeSnapshot, patchSnapshot, type ServerSnapshot, sameVersion, type ToolEntry, UnavailableTool } from './snapshot.ts';
import { WriteFence } from './write-fence.ts';

export type { ServerSnapshot, ToolEntry } from './snapshot.ts';

export interface RegistryChange {
  serverId: string;
  revision: number;
}

/**
 * The in-memory registry: the current snapshot of every served server,
 * replaced whole on every change, so a call in flight keeps the definition it
 * started with and the hot path never touches the database. Published
 * snapshots are never mutated.
 */
export class Registry extends EventEmitter<{ changed: [RegistryChange]; dropped: [string] }> {
  private readonly snapshots = new Map<string, ServerSnapshot>();
  private readonly fence = new WriteFence();
  private readonly checker = new SchemaChecker(
    (serverId) => this.snapshots.get(serverId),
    (serverId, failures) => this.markUnusable(serverId, failures),
    () => this.limits,
  );

  constructor(
    private readonly store: RegistryStore,
    handlers: ReadonlyMap<string, Handler>,
    private readonly logger: Logger,
    /** Bounds on stored schemas (TOOLPORT_MAX_SCHEMA_BYTES, TOOLPORT_MAX_SCHEMA_PROPERTIES, TOOLPORT_MAX_JSON_DEPTH). */
    private readonly limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS,
  ) {
    super();
    this.setMaxListeners(0);
    this.handlerMap = handlers;
  }

  private handlerMap: ReadonlyMap<string, Handler>;
  private missingReason: (handler: string) => string | undefined = () => undefined;

  /** The handlers tools are bound to now (replaceHandlers swaps them). */
  get handlers(): ReadonlyMap<string, Handler> {
    return this.handlerMap;
  }

  /**
   * Swap the handler map at run time (handler modules loaded, changed or
   * removed) and re-resolve every tool of every served server against it:
   * an entry whose handler changed is replaced, published like any change
   * (so MCP sessions get list_changed). `missingReason` says why a handler
   * is missing, when something knows (a module that failed to load).
   */
  replaceHandlers(handlers: ReadonlyMap<string, Handler>, missingReason?: (handler: string) => string | undefined): void {
    this.handlerMap = handlers;
    this.missingReason = missingReason ?? (() => undefined);
    for (const current of this.snapshots.values()) {
      const changes = new Map<string, ToolEntry>();
      for (const entry of current.tools.values()) {
        if (entry.handler !== undefined && handlers.get(entry.row.handler) === entry.handler) continue;
        const next = this.entryFor(entry.row, entry);
        if (next.handler === entry.handler && next.available === entry.available && next.reason === entry.reason) continue;
        changes.set(entry.name, next);
        if (entry.available && !next.available) this.logger.warn('tool unavailable', { server: current.server.id, tool: entry.row.name, reason: next.reason });
      }
      if (changes.size) this.patch(current, changes);
    }
  }

  /**
   * Re-decide whether the tools of the named handlers can be called, from
   * the rows held (no database read): what they depend on outside their row
   * changed — the data sources of `sql` and `database` tools. A tool whose
   * availability or reason changed is published like any change.
   */
  recheckHandlers(names: ReadonlySet<string>): void {
    for (const current of this.snapshots.values()) {
      const changes = new Map<string, ToolEntry>();
      for (const entry of current.tools.values()) {
        if (!names.has(entry.row.handler)) continue;
        const next = this.entryFor(entry.row, undefined);
        if (next.available === entry.available && next.reason === entry.reason) continue;
        changes.set(entry.name, next);
        if (entry.available && !next.available) this.logger.warn('tool unavailable', { server: current.server.id, tool: entry.row.name, reason: next.reason });
      }
      if (changes.size) this.patch(current, changes);
    }
  }

  snapshot(serverId: string): ServerSnapshot | undefined {
    return this.snapshots.get(serverId);
  }

  serverIds(): string[] {
    return [...this.snapshots.keys()];
  }

  /**
   * Read a server and all its tools from the database and swap in a new
   * snapshot (no swap, and no change event, when nothing differs).
   */
  async loadServer(serverId: string): Promise<ServerSnapshot | undefined> {
    const readFrom = this.fence.mark();
    const [server, rows] = await Promise.all([this.store.getServer(serverId), this.store.listTools(serverId)]);
    if (!server) {
      this.dropServer(serverId);
      return undefined;
    }
    const previous = this.snapshots.get(serverId);
    const written = this.fence.writtenSince(serverId, readFrom);
    const unchanged =
      previous !== undefined &&
      previous.server.updatedAt.getTime() === server.updatedAt.getTime() &&
      previous.tools.size === rows.length &&
      rows.every((row) => sameVersion(previous.tools.get(row.name), row));
    if (unchanged) return previous;
    const tools = new Map<string, ToolEntry>();
    for (const row of rows) if (!written.has(row.name)) tools.set(row.name, this.entryFor(row, previous?.tools.get(row.name)));
    for (const name of written) {
      const kept = previous?.tools.get(name);
      if (kept) tools.set(name, kept);
    }
    return this.swap(server, tools);
  }

  /** Re-read only the named tools of a server (the change feed's path). */
  async reloadTools(serverId: string, names: string[]): Promise<void> {
    if (!this.snapshots.has(serverId) || names.length === 0) return;
    const readFrom = this.fence.mark();
    const rows = await this.store.getToolsByName(serverId, names);
    const current = this.snapshots.get(serverId);
    if (!current) return;
    const written = this.fence.writtenSince(serverId, readFrom);
    const byName = new Map(rows.map((row) => [row.name, row]));
    const changes = new Map<string, ToolEntry | undefined>();
    for (const name of names) {
      if (written.has(name)) continue;
      const row = byName.get(name);
      const existing = current.tools.get(name);
      if (!row) {
        if (existing) changes.set(name, undefined);
      } else if (!sameVersion(existing, row)) {
        changes.set(name, this.entryFor(row, existing));
      }
    }
    if (changes.size) this.patch(current, changes);
  }

  /** Apply one written row (the write service's path): no re-read of the whole server. */
  applyTool(row: ToolRow): ToolEntry | undefined {
    const current = this.snapshots.get(row.serverId);
    if (!current) return undefined;
    const existing = current.tools.get(row.name);
    // Concurrent writers (and the change feed re-reading our own write) may
    // arrive out of order: never go back to an older version, never swap for nothing.
    if (existing && existing.row.id === row.id && existing.row.version >= row.version) return existing;
    this.fence.noteWrite(row.serverId, row.name);
    const entry = this.entryFor(row, existing);
    this.patch(current, new Map([[row.name, entry]]));
    return entry;
  }

  removeTool(row: ToolRow): void {
    const current = this.snapshots.get(row.serverId);
    const existing = current?.tools.get(row.name);
    if (!current || !existing || existing.row.id !== row.id) return;
    this.fence.noteWrite(row.serverId, row.name);
    this.patch(current, new Map([[row.name, undefined]]));
  }

  /**
   * The entry's argument validator (compiled on first use, memoized per row
   * by the arguments module, with the output schema's). A schema that does
   * not compile or crosses the limits makes the tool unavailable from then
   * on, and this call fails with the reason — before the handler runs.
   */
  validatorFor(serverId: string, entry: ToolEntry): ArgumentsValidator {
    return this.validatorsFor(serverId, entry).input;
  }

  /** Both validators of an entry's row (see validatorsFor); an unusable schema makes the entry unavailable. */
  validatorsFor(serverId: string, entry: ToolEntry): RowValidators {
    try {
      return validatorsOf(entry.row, this.limits);
    } catch (error) {
      const reason = schemaReason(error);
      this.markUnusable(serverId, [{ entry, reason }]);
      throw new AppError('unavailable', `Tool "${entry.row.name}" is unavailable: ${reason}`, { extra: { tool: entry.row.name, reason } });
    }
  }

  /** Forget a server that this process no longer serves. */
  dropServer(serverId: string): void {
    if (this.snapshots.delete(serverId)) this.emit('dropped', serverId);
  }

  /**
   * Start-up: hold the background schema checks until every listener is up
   * (they compile every schema once: CPU a cold start need not wait for).
   */
  holdSchemaChecks(): () => void {
    this.checker.pause();
    return () => this.checker.resume();
  }

  /** Resolves when every snapshot's schemas have been compiled once (tests, benchmarks). */
  schemasChecked(): Promise<void> {
    return this.checker.idle();
  }

  /** Replace entries whose schema turned out unusable (if still current) and tell listeners. */
  private markUnusable(serverId: string, failures: { entry: ToolEntry; reason: string }[]): void {
    const current = this.snapshots.get(serverId);
    if (!current) return;
    const changes = new Map<string, ToolEntry | undefined>();
    for (const { entry, reason } of failures) {
      const now = current.tools.get(entry.row.name);
      if (!now || !sameVersion(now, entry.row) || !now.available) continue;
      changes.set(now.name, new UnavailableTool(now.name, now.row, reason, now.handler, true));
      this.logger.warn('tool unavailable', { server: serverId, tool: entry.row.name, reason });
    }
    if (changes.size) this.patch(current, changes);
  }

  private entryFor(row: ToolRow, previous: ToolEntry | undefined): ToolEntry {
    let entry = buildEntry(row, this.handlerMap, previous);
    const missing = !entry.handler && row.enabled ? this.missingReason(row.handler) : undefined;
    if (missing) entry = new UnavailableTool(row.name, row, missing, undefined);
    if (!entry.available && entry.reason !== 'disabled' && !sameVersion(previous, row)) {
      this.logger.warn('tool unavailable', { server: row.serverId, tool: row.name, reason: entry.reason });
    }
    return entry;
  }

  /** A few tools changed: patch the current snapshot instead of rebuilding it (a write's cost does not grow with the registry). */
  private patch(current: ServerSnapshot, changes: ReadonlyMap<string, ToolEntry | undefined>): ServerSnapshot {
    return this.publish(patchSnapshot(current, current.revision + 1, changes));
  }

  private swap(server: ServerRow, tools: Map<string, ToolEntry>): ServerSnapshot {
    const revision = (this.snapshots.get(server.id)?.revision ?? 0) + 1;
    return this.publish(makeSnapshot(server, revision, tools));
  }

  private publish(snapshot: ServerSnapshot): ServerSnapshot {
    const server = snapshot.server;
    this.snapshots.set(server.id, snapshot);
    this.emit('changed', { serverId: server.id, revision: snapshot.revision });
    this.checker.schedule(server.id);
    return snapshot;
  }
}

import { EventEmitter } from 'node:events';
import type { ServerRow, ToolRow } from '../../drizzle/schema.ts';
import { isAppError } from '../errors.ts';
import type { Handler } from '../handlers/define.ts';
import type { Logger } from '../logger.ts';
import { AppError } from '../errors.ts';
import { validators, type ArgumentsValidator } from './arguments.ts';
import { SchemaChecker, schemaReason } from './schema-check.ts';
import type { RegistryStore } from './store.ts';

/**
 * The in-memory registry: one immutable snapshot per server, replaced whole
 * on every change, so a call in flight keeps the definition it started with
 * and the hot path never touches the database.
 */

export interface ToolEntry {
  row: ToolRow;
  /** Callable and offered over MCP. */
  available: boolean;
  /** Why not, when not available. */
  reason: string | undefined;
  handler: Handler | undefined;
  /**
   * Memo, set on first call: the compiled argument validator. Schemas are not
   * compiled when a snapshot is built (see ValidatorCache); a background pass
   * compiles each once to find unusable ones, and `schemaChecked` records it.
   */
  validator: ArgumentsValidator | undefined;
  schemaChecked: boolean;
}

export interface ServerSnapshot {
  server: ServerRow;
  /** Increases on every change of this server's tools (per process). */
  revision: number;
  tools: ReadonlyMap<string, ToolEntry>;
  /** Sorted by name; available tools only. */
  available: readonly ToolEntry[];
}

export interface RegistryChange {
  serverId: string;
  revision: number;
}

function buildEntry(row: ToolRow, handlers: ReadonlyMap<string, Handler>, previous: ToolEntry | undefined): ToolEntry {
  const handler = handlers.get(row.handler);
  const base = { row, handler, validator: undefined, schemaChecked: false };
  if (!row.enabled) return { ...base, available: false, reason: 'disabled' };
  if (!handler) return { ...base, available: false, reason: `no handler "${row.handler}" is loaded` };
  const schema = row.inputSchema as Record<string, unknown> | null;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || schema.type !== 'object') {
    return { ...base, available: false, reason: 'input_schema is not the JSON Schema of an object ("type": "object")', schemaChecked: true };
  }
  if (previous && sameVersion(previous, row) && previous.schemaChecked) {
    if (!previous.available && previous.reason?.startsWith('input_schema')) return { ...base, available: false, reason: previous.reason, schemaChecked: true };
    return { ...base, available: true, reason: undefined, validator: previous.validator, schemaChecked: true };
  }
  return { ...base, available: true, reason: undefined };
}

function sameVersion(entry: ToolEntry | undefined, row: ToolRow): boolean {
  return entry !== undefined && entry.row.id === row.id && entry.row.version === row.version;
}

function makeSnapshot(server: ServerRow, revision: number, tools: Map<string, ToolEntry>): ServerSnapshot {
  const available = [...tools.values()].filter((entry) => entry.available).sort((a, b) => (a.row.name < b.row.name ? -1 : 1));
  return { server, revision, tools, available };
}

export class Registry extends EventEmitter<{ changed: [RegistryChange] }> {
  private readonly snapshots = new Map<string, ServerSnapshot>();
  private writeSeq = 0;
  private readonly lastWrite = new Map<string, number>();
  private readonly checker = new SchemaChecker((serverId) => this.snapshots.get(serverId), (serverId, failures) => this.markUnusable(serverId, failures));

  constructor(
    private readonly store: RegistryStore,
    private readonly handlers: ReadonlyMap<string, Handler>,
    private readonly logger: Logger,
  ) {
    super();
    this.setMaxListeners(0);
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
    const readFrom = this.writeSeq;
    const [server, rows] = await Promise.all([this.store.getServer(serverId), this.store.listTools(serverId)]);
    if (!server) {
      this.dropServer(serverId);
      return undefined;
    }
    const previous = this.snapshots.get(serverId);
    const written = this.writtenSince(serverId, readFrom);
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
    const readFrom = this.writeSeq;
    const rows = await this.store.getToolsByName(serverId, names);
    const current = this.snapshots.get(serverId);
    if (!current) return;
    const written = this.writtenSince(serverId, readFrom);
    const byName = new Map(rows.map((row) => [row.name, row]));
    const tools = new Map(current.tools);
    let changed = false;
    for (const name of names) {
      if (written.has(name)) continue;
      const row = byName.get(name);
      const existing = current.tools.get(name);
      if (!row) {
        changed = tools.delete(name) || changed;
      } else if (!sameVersion(existing, row)) {
        tools.set(name, this.entryFor(row, existing));
        changed = true;
      }
    }
    if (changed) this.swap(current.server, tools);
  }

  /**
   * Names of a server written by this process (applyTool/removeTool) since
   * `seq`. A read that started before such a write may return the older row:
   * it must not overwrite the newer one (the write's own change comes through
   * the feed afterwards and is read then).
   */
  private writtenSince(serverId: string, seq: number): Set<string> {
    const names = new Set<string>();
    if (this.writeSeq === seq) return names;
    for (const [key, at] of this.lastWrite) {
      if (at > seq && key.startsWith(serverId + '\0')) names.add(key.slice(serverId.length + 1));
    }
    return names;
  }

  private noteWrite(serverId: string, name: string): void {
    this.lastWrite.set(serverId + '\0' + name, ++this.writeSeq);
    if (this.lastWrite.size > 10_000) {
      // Only writes newer than a read in flight matter; old ones can go.
      const cutoff = this.writeSeq - 5_000;
      for (const [key, at] of this.lastWrite) if (at < cutoff) this.lastWrite.delete(key);
    }
  }

  /** Apply one written row (REST write path): no re-read of the whole server. */
  applyTool(row: ToolRow): void {
    const current = this.snapshots.get(row.serverId);
    if (!current) return;
    const existing = current.tools.get(row.name);
    // Concurrent writers (and the change feed re-reading our own write) may
    // arrive out of order: never go back to an older version, never swap for nothing.
    if (existing && existing.row.id === row.id && existing.row.version >= row.version) return;
    this.noteWrite(row.serverId, row.name);
    const tools = new Map(current.tools);
    tools.set(row.name, this.entryFor(row, existing));
    this.swap(current.server, tools);
  }

  /**
   * The entry's argument validator, compiled (or shared from an identical
   * schema) on first use. A schema that does not compile makes the tool
   * unavailable from then on, and this call fails with the reason.
   */
  validatorFor(serverId: string, entry: ToolEntry): ArgumentsValidator {
    if (entry.validator) return entry.validator;
    try {
      entry.validator = validators.get(entry.row.inputSchema as Record<string, unknown>, '/input_schema');
      entry.schemaChecked = true;
      return entry.validator;
    } catch (error) {
      const reason = schemaReason(error);
      this.markUnusable(serverId, [{ entry, reason }]);
      throw new AppError('unavailable', `Tool "${entry.row.name}" is unavailable: ${reason}`, { extra: { tool: entry.row.name, reason } });
    }
  }

  /** Replace entries whose schema turned out unusable (if still current) and tell listeners. */
  private markUnusable(serverId: string, failures: { entry: ToolEntry; reason: string }[]): void {
    const current = this.snapshots.get(serverId);
    if (!current) return;
    const tools = new Map(current.tools);
    let changed = false;
    for (const { entry, reason } of failures) {
      const now = tools.get(entry.row.name);
      if (!now || !sameVersion(now, entry.row) || !now.available) continue;
      tools.set(entry.row.name, { ...now, available: false, reason, validator: undefined, schemaChecked: true });
      this.logger.warn('tool unavailable', { server: serverId, tool: entry.row.name, reason });
      changed = true;
    }
    if (changed) this.swap(current.server, tools);
  }

  /** Forget a server that this process no longer serves. */
  dropServer(serverId: string): void {
    this.snapshots.delete(serverId);
  }

  /** Resolves when every snapshot's schemas have been compiled once (tests, benchmarks). */
  schemasChecked(): Promise<void> {
    return this.checker.idle();
  }

  private entryFor(row: ToolRow, previous: ToolEntry | undefined): ToolEntry {
    const entry = buildEntry(row, this.handlers, previous);
    if (!entry.available && entry.reason !== 'disabled' && !sameVersion(previous, row)) {
      this.logger.warn('tool unavailable', { server: row.serverId, tool: row.name, reason: entry.reason });
    }
    return entry;
  }

  removeTool(row: ToolRow): void {
    const current = this.snapshots.get(row.serverId);
    const existing = current?.tools.get(row.name);
    if (!current || !existing || existing.row.id !== row.id) return;
    this.noteWrite(row.serverId, row.name);
    const tools = new Map(current.tools);
    tools.delete(row.name);
    this.swap(current.server, tools);
  }

  private swap(server: ServerRow, tools: Map<string, ToolEntry>): ServerSnapshot {
    const revision = (this.snapshots.get(server.id)?.revision ?? 0) + 1;
    const snapshot = makeSnapshot(server, revision, tools);
    this.snapshots.set(server.id, snapshot);
    this.emit('changed', { serverId: server.id, revision });
    this.checker.schedule(server.id);
    return snapshot;
  }
}

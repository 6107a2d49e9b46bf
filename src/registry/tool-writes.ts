import type { DatabaseHealth } from '../db/health.ts';
import { draftOfRow, type RegistryStore } from '../db/registry-store.ts';
import type { ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import { sameJson } from '../shared/json-equal.ts';
import { type CreateToolBody, draftFromBody, type PatchToolBody, patchDraft, type ToolDraft } from './definition.ts';
import type { Registry } from './registry.ts';
import type { SchemaLimits } from './schema-limits.ts';
import type { ToolEntry } from './snapshot.ts';

/**
 * The one way the registry's tools are written: REST, seeding and every later
 * writer (registry files, rollback, the admin UI, imports) call these. Each
 * operation is one transaction that records its actor, honours If-Match
 * (`ifMatch`: the version the writer last read), and returns the entry as the
 * registry of this process now holds it; other processes follow through the
 * change feed.
 */
export interface WriteTarget {
  /** Who writes: recorded in the change log (`admin-token`, `local`, `seed` …). */
  actor: string;
  serverId: string;
}

export interface ToolWritesDeps {
  store: RegistryStore;
  registry: Registry;
  handlers: ReadonlyMap<string, Handler>;
  /** Writes fail fast (503) while the database is known to be unreachable, instead of each waiting on a connect timeout. */
  health: DatabaseHealth | undefined;
  /** Bounds on the schemas written (README "Limits"); the defaults when omitted. */
  limits?: SchemaLimits | undefined;
}

export interface WrittenTool {
  row: ToolRow;
  /** The entry as the registry holds it; undefined when this process does not serve the server. */
  entry: ToolEntry | undefined;
}

function notFound(serverId: string, name: string): AppError {
  return new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
}

function stale(name: string, current: number, expected: number): AppError {
  return new AppError(
    'precondition_failed',
    `Tool "${name}" is at version ${current}, not ${expected}: it changed since you read it. Fetch it again and retry.`,
    { extra: { currentVersion: current } },
  );
}

/** A write service bound to an open transaction (see batch): rows reach the registry after the commit. */
interface Batch {
  store: RegistryStore;
  written: ToolRow[];
  /** Rows deleted in the batch: removed from the registry after the commit. */
  deleted: ToolRow[];
}

export class ToolWrites {
  constructor(
    private readonly deps: ToolWritesDeps,
    private readonly openBatch?: Batch,
  ) {}

  /**
   * Several writes in one transaction (all or nothing), e.g. applying the
   * seed file; `work` gets a write service and a store bound to it. The
   * registry takes the written rows once the transaction has committed.
   */
  async batch<T>(actor: string, work: (writes: ToolWrites, store: RegistryStore) => Promise<T>): Promise<T> {
    const written: ToolRow[] = [];
    const deleted: ToolRow[] = [];
    const result = await this.run(actor, (store) => work(new ToolWrites(this.deps, { store, written, deleted }), store));
    for (const row of written) this.deps.registry.applyTool(row);
    for (const row of deleted) this.deps.registry.removeTool(row);
    return result;
  }

  /** A body checked as create/replace check it (schema, handler, config), without writing: the row it would store. */
  check(body: CreateToolBody): ToolDraft {
    return draftFromBody(body, this.deps.handlers, this.deps.limits);
  }

  async create(target: WriteTarget & { body: CreateToolBody }): Promise<WrittenTool> {
    const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
    const row = await this.run(target.actor, (store) => store.insertTool(target.serverId, draft));
    return this.applied(row);
  }

  /** Insert unless a tool of that name exists (seeding): undefined when it existed. */
  async createIfMissing(target: WriteTarget & { body: CreateToolBody }): Promise<WrittenTool | undefined> {
    const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
    const row = await this.run(target.actor, (store) => store.insertToolIfMissing(target.serverId, draft));
    return row ? this.applied(row) : undefined;
  }

  async replace(target: WriteTarget & { name: string; body: CreateToolBody; ifMatch?: number | undefined }): Promise<WrittenTool> {
    const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
    const row = await this.run(target.actor, (store) => store.updateTool(target.serverId, target.name, draft, target.ifMatch));
    return this.applied(row);
  }

  /**
   * Read-modify-write under the row's lock: concurrent patches are applied
   * one after the other, so no acknowledged change is overwritten by a stale read.
   */
  async patch(target: WriteTarget & { name: string; patch: PatchToolBody; ifMatch?: number | undefined }): Promise<WrittenTool> {
    const row = await this.run(target.actor, async (store) => {
      const current = await store.getToolForUpdate(target.serverId, target.name);
      if (!current) throw notFound(target.serverId, target.name);
      if (target.ifMatch !== undefined && current.version !== target.ifMatch) throw stale(target.name, current.version, target.ifMatch);
      const before = draftOfRow(current);
      const draft = patchDraft(before, target.patch, this.deps.handlers, this.deps.limits);
      // Fields sent with the values they already have: nothing to write, no new version, no change event.
      if (sameJson(before, draft)) return current;
      return store.updateTool(target.serverId, target.name, draft, current.version);
    });
    return this.applied(row);
  }

  setEnabled(target: WriteTarget & { name: string; enabled: boolean; ifMatch?: number | undefined }): Promise<WrittenTool> {
    return this.patch({ ...target, patch: { enabled: target.enabled } });
  }

  async delete(target: WriteTarget & { name: string; ifMatch?: number | undefined }): Promise<ToolRow> {
    const row = await this.run(target.actor, (store) => store.deleteTool(target.serverId, target.name, target.ifMatch));
    if (this.openBatch) this.openBatch.deleted.push(row);
    else this.deps.registry.removeTool(row);
    return row;
  }

  private run<T>(actor: string, work: (store: RegistryStore) => Promise<T>): Promise<T> {
    if (this.openBatch) return work(this.openBatch.store);
    const health = this.deps.health;
    if (health && !health.ok) {
      throw new AppError(
        'unavailable',
        `The database is unreachable (${safeDatabaseReason(health.error)}); registry writes fail until it returns, calls are still served`,
      );
    }
    return this.deps.store.transaction(actor, work);
  }

  private applied(row: ToolRow): WrittenTool {
    if (this.openBatch) {
      this.openBatch.written.push(row);
      return { row, entry: undefined };
    }
    return { row, entry: this.deps.registry.applyTool(row) };
  }
}

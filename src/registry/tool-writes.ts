import { draftOfRow, type RegistryStore } from '../db/registry-store.ts';
import type { ToolRow } from '../db/schema.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import { actorColumns, auditedWrite, refusalOf, writeActor } from '../observability/audit-write.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import { checkToolComposition } from './composed-clashes.ts';
import { type CreateToolBody, draftFromBody, type PatchToolBody, patchDraft, type ToolDraft } from './definition.ts';
import { revisionDraft } from './revision-draft.ts';
import { changedFields, nameOf, notFound, patchAction, rowChanges, stale } from './tool-changes.ts';
import type { BatchActor, RolledBack, ToolWritesDeps, WriteTarget, WrittenTool } from './tool-write-types.ts';

export type { BatchActor, RolledBack, ToolWritesDeps, WriteTarget, WrittenTool } from './tool-write-types.ts';

/** A write service bound to an open transaction (see batch): rows reach the registry after the commit. */
interface Batch {
  store: RegistryStore;
  written: ToolRow[];
  /** Rows deleted in the batch: removed from the registry after the commit. */
  deleted: ToolRow[];
  /** Entries of the batch's writes, recorded once it committed. */
  entries: AuditEntry[];
}

/** What one write tells its audit entry (the actor columns and the outcome are added around it). */
type Audited = Pick<AuditEntry, 'action' | 'tool' | 'versionBefore' | 'versionAfter' | 'details'>;

/**
 * The one way the registry's tools are written: REST, seeding and every later
 * writer (registry files, rollback, the admin UI, imports) call these. Each
 * operation is one transaction that records its actor, honours If-Match
 * (`ifMatch`: the version the writer last read), and returns the entry as the
 * registry of this process now holds it; other processes follow through the
 * change feed.
 *
 * The audit log gets one entry per write once it committed (create, update,
 * delete; a patch that only flips `enabled`: enable/disable), with the
 * versions before and after and the changed fields' names — and one per
 * refused write, outcome = the error code. Writes inside a batch (seed file,
 * OpenAPI import, database pack) are `import` entries, recorded after the
 * batch committed, one per tool written; a failed batch records one entry.
 * The database trigger of SQL edits skips these writes (toolport.actor is
 * set), so nothing is recorded twice.
 */
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
  async batch<T>(by: string | BatchActor, work: (writes: ToolWrites, store: RegistryStore) => Promise<T>): Promise<T> {
    const who: BatchActor = writeActor(by);
    const written: ToolRow[] = [];
    const deleted: ToolRow[] = [];
    const entries: AuditEntry[] = [];
    let result: T;
    try {
      result = await this.run(who.actor, (store) => work(new ToolWrites(this.deps, { store, written, deleted, entries }), store));
    } catch (error) {
      const { outcome, details } = refusalOf(error);
      this.deps.audit?.record({ ...actorColumns(who), action: 'import', outcome, details: { ...details, ...(who.import ? { import: who.import } : {}) } });
      throw error;
    }
    for (const row of written) this.deps.registry.applyTool(row);
    for (const row of deleted) this.deps.registry.removeTool(row);
    for (const entry of entries) {
      // The tool's own actor columns win: a batch's writes may name their writer too; the import is the batch's.
      this.deps.audit?.record({
        ...entry,
        actor: entry.actor || who.actor,
        actorName: entry.actorName ?? who.actorName ?? null,
        requestId: entry.requestId ?? who.requestId ?? null,
        details: { ...entry.details, ...(who.import ? { import: who.import } : {}) },
      });
    }
    return result;
  }

  /** A body checked as create/replace check it (schema, handler, config), without writing: the row it would store. */
  check(body: CreateToolBody): ToolDraft {
    return draftFromBody(body, this.deps.handlers, this.deps.limits);
  }

  /** `rateLimit` (a registry file's) is written with the definition; REST leaves it to SQL. */
  create(target: WriteTarget & { body: CreateToolBody; rateLimit?: string | null | undefined }): Promise<WrittenTool> {
    return this.audited(target, { action: 'create', tool: nameOf(target.body) }, async () => {
      const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
      const row = await this.run(target.actor, async (store) => {
        await this.checkComposedName(store, target.serverId, draft.name);
        return store.insertTool(target.serverId, draft, target.rateLimit);
      });
      return { result: this.applied(row), audit: { action: 'create', tool: row.name, versionAfter: row.version, details: { handler: row.handler } } };
    });
  }

  /** Insert unless a tool of that name exists (seeding): undefined when it existed (and nothing is audited). */
  async createIfMissing(target: WriteTarget & { body: CreateToolBody }): Promise<WrittenTool | undefined> {
    const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
    const row = await this.run(target.actor, (store) => store.insertToolIfMissing(target.serverId, draft));
    if (!row) return undefined;
    this.note(target, 'ok', { action: 'create', tool: row.name, versionAfter: row.version, details: { handler: row.handler } });
    return this.applied(row);
  }

  replace(
    target: WriteTarget & { name: string; body: CreateToolBody; ifMatch?: number | undefined; rateLimit?: string | null | undefined },
  ): Promise<WrittenTool> {
    return this.audited(target, { action: 'update', tool: target.name }, async () => {
      const draft = draftFromBody(target.body, this.deps.handlers, this.deps.limits);
      let changed: string[] | undefined;
      const row = await this.run(target.actor, async (store) => {
        // Read under the lock first, only for the audit's changed fields; updateTool still checks If-Match.
        const current = await store.getToolForUpdate(target.serverId, target.name);
        if (current) changed = rowChanges(current, draft, target.rateLimit);
        return store.updateTool(target.serverId, target.name, draft, target.ifMatch, target.rateLimit);
      });
      return {
        result: this.applied(row),
        audit: { action: 'update', tool: row.name, versionBefore: row.version - 1, versionAfter: row.version, details: { changed: changed ?? [] } },
      };
    });
  }

  /**
   * Read-modify-write under the row's lock: concurrent patches are applied
   * one after the other, so no acknowledged change is overwritten by a stale read.
   */
  patch(target: WriteTarget & { name: string; patch: PatchToolBody; ifMatch?: number | undefined }): Promise<WrittenTool> {
    return this.audited(target, { action: patchAction(target.patch, undefined), tool: target.name }, async () => {
      let versionBefore: number | undefined;
      let changed: string[] = [];
      const row = await this.run(target.actor, async (store) => {
        const current = await store.getToolForUpdate(target.serverId, target.name);
        if (!current) throw notFound(target.serverId, target.name);
        if (target.ifMatch !== undefined && current.version !== target.ifMatch) throw stale(target.name, current.version, target.ifMatch);
        versionBefore = current.version;
        const before = draftOfRow(current);
        const draft = patchDraft(before, target.patch, this.deps.handlers, this.deps.limits);
        changed = changedFields(before, draft);
        // Fields sent with the values they already have: nothing to write, no new version, no change event (still audited: someone asked).
        if (changed.length === 0) return current;
        return store.updateTool(target.serverId, target.name, draft, current.version);
      });
      const audit: Audited = { action: patchAction(target.patch, changed), tool: row.name, versionBefore, versionAfter: row.version, details: { changed } };
      return { result: this.applied(row), audit };
    });
  }

  setEnabled(target: WriteTarget & { name: string; enabled: boolean; ifMatch?: number | undefined }): Promise<WrittenTool> {
    return this.patch({ ...target, patch: { enabled: target.enabled } });
  }

  delete(target: WriteTarget & { name: string; ifMatch?: number | undefined }): Promise<ToolRow> {
    return this.audited(target, { action: 'delete', tool: target.name }, async () => {
      const row = await this.run(target.actor, (store) => store.deleteTool(target.serverId, target.name, target.ifMatch));
      if (this.openBatch) this.openBatch.deleted.push(row);
      else this.deps.registry.removeTool(row);
      return { result: row, audit: { action: 'delete', tool: row.name, versionBefore: row.version, details: { handler: row.handler } } };
    });
  }

  /**
   * Make version `version` current again by writing it as a new version
   * (history is never rewritten); a deleted tool is created again. If-Match
   * is the current version (for a deleted tool: its deletion's). The
   * revision is checked as a write of it now would be; its rate limit comes back too.
   */
  rollback(target: WriteTarget & { name: string; version: number; ifMatch?: number | undefined }): Promise<RolledBack> {
    return this.audited(target, { action: 'rollback', tool: target.name }, async () => {
      let before: number | undefined;
      let restored = false;
      let changed: string[] = [];
      const row = await this.run(target.actor, async (store) => {
        const revisions = store.revisionStore();
        const revision = await revisions.get(target.serverId, target.name, target.version);
        if (!revision) {
          const newest = await revisions.newest(target.serverId, target.name);
          throw new AppError(
            'not_found',
            newest
              ? `Tool "${target.name}" on server "${target.serverId}" has no version ${target.version} (its newest is ${newest.version}; GET …/revisions lists those kept)`
              : `No tool named "${target.name}" on server "${target.serverId}" has any history`,
          );
        }
        const draft = revisionDraft(revision.definition, revision.version, this.deps.handlers, this.deps.limits);
        const rateLimit = revision.definition.rateLimit ?? null;
        const current = await store.getToolForUpdate(target.serverId, target.name);
        if (current) {
          if (target.ifMatch !== undefined && current.version !== target.ifMatch) throw stale(target.name, current.version, target.ifMatch);
          before = current.version;
          changed = rowChanges(current, draft, rateLimit);
          // Already that version: nothing to write (still audited: someone asked).
          if (changed.length === 0) return current;
          await store.nameOperation('rollback');
          return store.updateTool(target.serverId, target.name, draft, current.version, rateLimit);
        }
        const newest = (await revisions.newest(target.serverId, target.name))!;
        if (target.ifMatch !== undefined && newest.version !== target.ifMatch) throw stale(target.name, newest.version, target.ifMatch);
        before = newest.version;
        restored = true;
        changed = Object.keys(draft).sort();
        await this.checkComposedName(store, target.serverId, target.name);
        await store.nameOperation('rollback');
        return store.insertTool(target.serverId, draft, rateLimit);
      });
      const audit: Audited = {
        action: 'rollback',
        tool: row.name,
        versionBefore: before,
        versionAfter: row.version,
        details: { toVersion: target.version, restored, changed },
      };
      return { result: { ...this.applied(row), restored, changed }, audit };
    });
  }

  /** Run one write and audit it: `ok` with what the write reports, or the error code it was refused with. */
  private async audited<T>(target: WriteTarget, refused: Audited, work: () => Promise<{ result: T; audit: Audited }>): Promise<T> {
    const entryOf = (outcome: string, audit: Audited) => this.entryOf(target, outcome, audit);
    return auditedWrite(
      { record: (entry) => this.keep(entry) },
      // Inside a batch the whole batch fails: it records that once.
      ({ outcome, details }) => (this.openBatch ? undefined : entryOf(outcome, { ...refused, details })),
      async () => {
        const done = await work();
        return { result: done.result, entry: entryOf('ok', done.audit) };
      },
    );
  }

  private entryOf(target: WriteTarget, outcome: string, audit: Audited): AuditEntry {
    return { ...actorColumns(target), serverId: target.serverId, outcome, ...audit };
  }

  private note(target: WriteTarget, outcome: string, audit: Audited): void {
    this.keep(this.entryOf(target, outcome, audit));
  }

  /** Record now, or (in a batch) once the batch committed, as an `import` entry naming the operation. */
  private keep(entry: AuditEntry): void {
    if (this.openBatch) this.openBatch.entries.push({ ...entry, action: 'import', details: { operation: entry.action, ...entry.details } });
    else this.deps.audit?.record(entry);
  }

  /** A new tool's name, as the gateway's /mcp would list it (tools are never renamed), must be free and within the name rule (composed-clashes.ts); in the write's transaction. */
  private async checkComposedName(store: RegistryStore, serverId: string, name: string): Promise<void> {
    const server = this.deps.registry.snapshot(serverId)?.server ?? (await store.getServer(serverId));
    await checkToolComposition(store.serverStore(), server, name, this.deps.strictToolNames === true);
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

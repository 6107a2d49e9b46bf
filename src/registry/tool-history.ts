import type { RevisionStore, ToolRevision } from '../db/revision-store.ts';
import { AppError } from '../shared/errors.ts';
import { changedTopLevel, type DefinitionDiff, diffDefinitions } from './revision-diff.ts';

/**
 * Reads of a tool's history (GET /tools/:name/revisions, …/diff): every
 * version the revision trigger kept, newest first, for live and deleted
 * tools alike. Writing history back (rollback) is the write service's.
 */
export interface ListedRevision extends ToolRevision {
  /** Top-level fields that differ from the version before it (null: that one is not kept, or this is the first). */
  changed: string[] | null;
}

export interface RevisionPage {
  revisions: ListedRevision[];
  /** Revisions kept for the tool in all. */
  total: number;
  /** The version to continue below (the next page's `before`); undefined on the last page. */
  nextBefore: number | undefined;
}

export interface VersionDiff extends DefinitionDiff {
  from: ToolRevision;
  to: ToolRevision;
}

export class ToolHistory {
  constructor(private readonly store: RevisionStore) {}

  async list(serverId: string, name: string, page: { limit: number; before?: number | undefined }): Promise<RevisionPage> {
    // One more than asked: whether a next page exists, without a second query.
    const [rows, total] = await Promise.all([
      this.store.list(serverId, name, { limit: page.limit + 1, before: page.before }),
      this.store.count(serverId, name),
    ]);
    if (total === 0) throw noHistory(serverId, name);
    // Each revision with what changed since the one below it: the extra row fetched is the last one's.
    const revisions = rows.slice(0, page.limit).map((revision, index) => {
      const previous = rows[index + 1];
      const changed = previous ? changedTopLevel(previous.definition, revision.definition) : null;
      return { ...revision, changed };
    });
    return { revisions, total, nextBefore: rows.length > page.limit ? revisions[revisions.length - 1]!.version : undefined };
  }

  async get(serverId: string, name: string, version: number): Promise<ToolRevision> {
    const revision = await this.store.get(serverId, name, version);
    if (revision) return revision;
    const newest = await this.store.newest(serverId, name);
    if (!newest) throw noHistory(serverId, name);
    throw new AppError('not_found', `Tool "${name}" on server "${serverId}" has no version ${version} (its newest is ${newest.version})`, {
      extra: { newestVersion: newest.version },
    });
  }

  async diff(serverId: string, name: string, from: number, to: number): Promise<VersionDiff> {
    const [before, after] = await Promise.all([this.get(serverId, name, from), this.get(serverId, name, to)]);
    return { from: before, to: after, ...diffDefinitions(before.definition, after.definition, { from: `${name}@${from}`, to: `${name}@${to}` }) };
  }
}

function noHistory(serverId: string, name: string): AppError {
  return new AppError('not_found', `No tool named "${name}" on server "${serverId}" has any history`);
}

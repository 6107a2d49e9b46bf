import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { type Db, rowCount } from './client.ts';
import { type ToolRevisionRow, toolRevisions } from './schema.ts';
import type { ToolDraft } from './tool-draft.ts';

/**
 * Reads of `tool_revisions` (the trigger of migration 0012 writes it) and its
 * retention. Revisions are addressed by server, tool name and version: a tool
 * deleted and created again continues the same history.
 */

/** A tool's definition as a revision holds it (toolport_tool_definition, migration 0012): the row's draft under the POST body's names, plus the rate limit. */
export type RevisionDefinition = Omit<ToolDraft, 'handlerConfig'> & { config: Record<string, unknown>; rateLimit: string | null };

export interface ToolRevision {
  toolId: string;
  serverId: string;
  name: string;
  version: number;
  operation: string;
  actor: string;
  changedAt: Date;
  definition: RevisionDefinition;
}

function revisionOf(row: ToolRevisionRow): ToolRevision {
  return {
    toolId: row.toolId,
    serverId: row.serverId,
    name: row.name,
    version: row.version,
    operation: row.operation,
    actor: row.actor,
    changedAt: row.changedAt,
    definition: row.definition as RevisionDefinition,
  };
}

export class RevisionStore {
  constructor(private readonly db: Db) {}

  /** Newest first; `before` (a version) continues a page. */
  async list(serverId: string, name: string, options: { limit: number; before?: number | undefined }): Promise<ToolRevision[]> {
    const conditions = [eq(toolRevisions.serverId, serverId), eq(toolRevisions.name, name)];
    if (options.before !== undefined) conditions.push(lt(toolRevisions.version, options.before));
    const rows = await this.db
      .select()
      .from(toolRevisions)
      .where(and(...conditions))
      .orderBy(desc(toolRevisions.version))
      .limit(options.limit);
    return rows.map(revisionOf);
  }

  async count(serverId: string, name: string): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(toolRevisions)
      .where(and(eq(toolRevisions.serverId, serverId), eq(toolRevisions.name, name)));
    return Number(row?.count ?? 0);
  }

  async get(serverId: string, name: string, version: number): Promise<ToolRevision | undefined> {
    const [row] = await this.db
      .select()
      .from(toolRevisions)
      .where(and(eq(toolRevisions.serverId, serverId), eq(toolRevisions.name, name), eq(toolRevisions.version, version)));
    return row ? revisionOf(row) : undefined;
  }

  async newest(serverId: string, name: string): Promise<ToolRevision | undefined> {
    const [row] = await this.list(serverId, name, { limit: 1 });
    return row;
  }

  /**
   * Keep the newest `keep` revisions of each tool (of one tool when named);
   * the number deleted. The newest revision is never pruned, whatever `keep`.
   */
  async prune(keep: number, tool?: { serverId: string; name: string }): Promise<number> {
    const kept = Math.max(1, Math.floor(keep));
    const scope = tool ? sql`WHERE server_id = ${tool.serverId} AND name = ${tool.name}` : sql``;
    const result = await this.db.execute(sql`
      DELETE FROM tool_revisions WHERE id IN (
        SELECT id FROM (
          SELECT id, row_number() OVER (PARTITION BY server_id, name ORDER BY version DESC) AS position
          FROM tool_revisions ${scope}
        ) ranked WHERE position > ${kept}
      ) RETURNING id`);
    return rowCount(result);
  }
}

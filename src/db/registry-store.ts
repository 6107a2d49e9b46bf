import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { sqlStateOf } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import type { Db } from './client.ts';
import { DataSourceStore } from './data-source-store.ts';
import { RevisionStore } from './revision-store.ts';
import { type RegistryChangeRow, registryChanges, type ServerRow, servers, type ToolRow, tools } from './schema.ts';
import { ServerStore } from './server-store.ts';
import type { ToolDraft } from './tool-draft.ts';
import { UpstreamStore } from './upstream-store.ts';

export type { ToolDraft } from './tool-draft.ts';

/** The columns of a servers row that seeding (and later the servers API) decides. */
export interface ServerDraft {
  id: string;
  name: string;
  description: string;
  port: number | null;
}

/** Any constant works; it only has to be the same for every Toolport process (the migration lock is another). */
const REGISTRY_APPLY_LOCK_KEY = 7_471_530_202;

/**
 * Reads and writes of the `servers` and `tools` tables. Database constraint
 * violations become AppErrors here, so callers never see a driver error.
 */

function draftColumns(draft: ToolDraft) {
  return {
    name: draft.name,
    title: draft.title,
    description: draft.description,
    inputSchema: draft.inputSchema,
    outputSchema: draft.outputSchema,
    handler: draft.handler,
    handlerConfig: draft.handlerConfig,
    annotations: draft.annotations,
    enabled: draft.enabled,
  };
}

export function draftOfRow(row: ToolRow): ToolDraft {
  return {
    name: row.name,
    title: row.title,
    description: row.description,
    inputSchema: row.inputSchema as Record<string, unknown>,
    outputSchema: (row.outputSchema as Record<string, unknown> | null) ?? null,
    handler: row.handler,
    handlerConfig: (row.handlerConfig as Record<string, unknown>) ?? {},
    annotations: (row.annotations as Record<string, unknown>) ?? {},
    enabled: row.enabled,
  };
}

export interface RegistryStoreOptions {
  /** TOOLPORT_REVISIONS_KEEP: each write's transaction tells the revision trigger to prune that tool's history to this many. */
  revisionsKeep?: number | undefined;
}

export class RegistryStore {
  constructor(
    private readonly db: Db,
    private readonly options: RegistryStoreOptions = {},
  ) {}

  /** The servers table's store on the same connection (inside a transaction: the same transaction). */
  /** TOOLPORT_REVISIONS_KEEP, for the periodic sweep of edits made in SQL. */
  get revisionsKeep(): number | undefined {
    return this.options.revisionsKeep;
  }

  serverStore(): ServerStore {
    return new ServerStore(this.db);
  }

  /** The tools' history on the same connection. */
  revisionStore(): RevisionStore {
    return new RevisionStore(this.db);
  }

  /** The data sources table on the same connection (a registry apply writes all three in one transaction). */
  dataSourceStore(): DataSourceStore {
    return new DataSourceStore(this.db);
  }

  /** The upstreams table on the same connection (a registry apply writes it in the same transaction). */
  upstreamStore(): UpstreamStore {
    return new UpstreamStore(this.db);
  }

  /** Name what this transaction's tool writes are in their revisions (`rollback`); transaction-local. */
  async nameOperation(operation: string): Promise<void> {
    await this.db.execute(sql`select set_config('toolport.operation', ${operation}, true)`);
  }

  /** Take the registry-apply lock until the transaction ends: applies of the same database run one after the other. */
  async lockRegistryApply(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${REGISTRY_APPLY_LOCK_KEY})`);
  }

  /** Every tool row of the given servers (all when undefined), by server then name. */
  listAllTools(serverIds?: readonly string[]): Promise<ToolRow[]> {
    const query = this.db.select().from(tools);
    const filtered = serverIds ? query.where(inArray(tools.serverId, [...serverIds])) : query;
    return filtered.orderBy(asc(tools.serverId), asc(tools.name));
  }

  /**
   * Run `work` in one transaction, with a store bound to it. `actor` is set
   * as the transaction-local setting `toolport.actor`, which the change-log
   * trigger records (edits made directly in SQL are recorded as `sql:<role>`).
   */
  transaction<T>(actor: string, work: (store: RegistryStore) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // Sent without waiting: the driver pipelines it ahead of the write on the
      // transaction's connection, which saves a round trip per write.
      const keep = this.options.revisionsKeep === undefined ? '' : String(this.options.revisionsKeep);
      const actorSet = Promise.resolve(
        tx.execute(sql`select set_config('toolport.actor', ${actor}, true), set_config('toolport.revisions_keep', ${keep}, true)`),
      );
      actorSet.catch(() => {});
      const result = await work(new RegistryStore(tx as unknown as Db, this.options));
      await actorSet;
      return result;
    });
  }

  /** The row, locked until the transaction ends (so a read-modify-write cannot lose a concurrent one). */
  async getToolForUpdate(serverId: string, name: string): Promise<ToolRow | undefined> {
    const [row] = await this.db
      .select()
      .from(tools)
      .where(and(eq(tools.serverId, serverId), eq(tools.name, name)))
      .for('update');
    return row;
  }

  /** Insert a server unless one of that id exists; true when inserted. */
  async insertServerIfMissing(server: ServerDraft): Promise<boolean> {
    const inserted = await this.db.insert(servers).values(server).onConflictDoNothing().returning({ id: servers.id });
    return inserted.length > 0;
  }

  /** Insert a tool unless one of that name exists on the server; the row when inserted. */
  async insertToolIfMissing(serverId: string, draft: ToolDraft): Promise<ToolRow | undefined> {
    const [row] = await this.db
      .insert(tools)
      .values({ serverId, ...draftColumns(draft) })
      .onConflictDoNothing({ target: [tools.serverId, tools.name] })
      .returning();
    return row;
  }

  async hasAnyServer(): Promise<boolean> {
    const [row] = await this.db.select({ id: servers.id }).from(servers).limit(1);
    return row !== undefined;
  }

  listServers(): Promise<ServerRow[]> {
    return this.db.select().from(servers).orderBy(asc(servers.id));
  }

  async getServer(id: string): Promise<ServerRow | undefined> {
    const [row] = await this.db.select().from(servers).where(eq(servers.id, id));
    return row;
  }

  listTools(serverId: string): Promise<ToolRow[]> {
    return this.db.select().from(tools).where(eq(tools.serverId, serverId)).orderBy(asc(tools.name));
  }

  async getTool(serverId: string, name: string): Promise<ToolRow | undefined> {
    const [row] = await this.db
      .select()
      .from(tools)
      .where(and(eq(tools.serverId, serverId), eq(tools.name, name)));
    return row;
  }

  getToolsByName(serverId: string, names: string[]): Promise<ToolRow[]> {
    return this.db
      .select()
      .from(tools)
      .where(and(eq(tools.serverId, serverId), inArray(tools.name, names)));
  }

  /** The newest change id: read before loading snapshots, so nothing committed after it is missed. */
  async latestChangeId(): Promise<number> {
    const [row] = await this.db.select({ id: sql<number>`coalesce(max(${registryChanges.id}), 0)::bigint` }).from(registryChanges);
    return Number(row?.id ?? 0);
  }

  async changeIdsAfter(id: number): Promise<number[]> {
    const rows = await this.db.select({ id: registryChanges.id }).from(registryChanges).where(gt(registryChanges.id, id)).orderBy(asc(registryChanges.id));
    return rows.map((row) => Number(row.id));
  }

  changesAfter(id: number, limit: number): Promise<RegistryChangeRow[]> {
    return this.db.select().from(registryChanges).where(gt(registryChanges.id, id)).orderBy(asc(registryChanges.id)).limit(limit);
  }

  async pruneChanges(olderThanHours: number): Promise<number> {
    const deleted = await this.db
      .delete(registryChanges)
      .where(lt(registryChanges.changedAt, sql`now() - make_interval(hours => ${olderThanHours})`))
      .returning({ id: registryChanges.id });
    return deleted.length;
  }

  /** `rateLimit` (a registry apply, a rollback) is written with the definition, in the same statement: one version. */
  async insertTool(serverId: string, draft: ToolDraft, rateLimit?: string | null): Promise<ToolRow> {
    try {
      const [row] = await this.db
        .insert(tools)
        .values({ serverId, ...draftColumns(draft), ...(rateLimit === undefined ? {} : { rateLimit }) })
        .returning();
      return row!;
    } catch (error) {
      if (sqlStateOf(error) === '23505') {
        throw new AppError('conflict', `A tool named "${draft.name}" already exists on server "${serverId}"`, {
          details: [{ path: '/name', message: 'already exists' }],
        });
      }
      if (sqlStateOf(error) === '23503') throw new AppError('not_found', `Server "${serverId}" does not exist`);
      throw error;
    }
  }

  /**
   * Replace a tool's definition. With `expectedVersion` the update only
   * applies to that version (optimistic concurrency); the trigger bumps it.
   */
  async updateTool(serverId: string, name: string, draft: ToolDraft, expectedVersion?: number, rateLimit?: string | null): Promise<ToolRow> {
    const conditions = [eq(tools.serverId, serverId), eq(tools.name, name)];
    if (expectedVersion !== undefined) conditions.push(eq(tools.version, expectedVersion));
    const [row] = await this.db
      .update(tools)
      .set({ ...draftColumns(draft), ...(rateLimit === undefined ? {} : { rateLimit }), version: sql`${tools.version} + 1`, updatedAt: sql`now()` })
      .where(and(...conditions))
      .returning();
    if (row) return row;
    return this.explainMissing(serverId, name, expectedVersion);
  }

  async deleteTool(serverId: string, name: string, expectedVersion?: number): Promise<ToolRow> {
    const conditions = [eq(tools.serverId, serverId), eq(tools.name, name)];
    if (expectedVersion !== undefined) conditions.push(eq(tools.version, expectedVersion));
    const [row] = await this.db
      .delete(tools)
      .where(and(...conditions))
      .returning();
    if (row) return row;
    return this.explainMissing(serverId, name, expectedVersion);
  }

  private async explainMissing(serverId: string, name: string, expectedVersion: number | undefined): Promise<never> {
    const current = await this.getTool(serverId, name);
    if (!current) throw new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
    throw new AppError(
      'precondition_failed',
      `Tool "${name}" is at version ${current.version}, not ${expectedVersion}: it changed since you read it. Fetch it again and retry.`,
      { extra: { currentVersion: current.version } },
    );
  }
}

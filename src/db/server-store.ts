import { and, asc, count, eq, sql } from 'drizzle-orm';
import { sqlStateOf } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import type { Db } from './client.ts';
import { type ServerRow, servers, tools, upstreams } from './schema.ts';

/** The columns of a servers row the servers API decides. */
export interface ServerFields {
  id: string;
  name: string;
  description: string;
  port: number | null;
  enabled: boolean;
  toolPrefix: string | null;
  compose: boolean;
  rateLimit: string | null;
  auth: Record<string, unknown> | null;
}

/** One tool of a composed server, as the clash check reads it. */
export interface ComposedToolRow {
  serverId: string;
  tool: string;
}

/**
 * Writes of the `servers` table (the servers API), each inside the
 * transaction of `transaction()`, which sets `toolport.actor` for the
 * change-log trigger like the tools' writes. Constraint violations become
 * AppErrors naming the field.
 */
export class ServerStore {
  constructor(private readonly db: Db) {}

  transaction<T>(actor: string, work: (store: ServerStore) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('toolport.actor', ${actor}, true)`);
      return work(new ServerStore(tx as unknown as Db));
    });
  }

  list(): Promise<ServerRow[]> {
    return this.db.select().from(servers).orderBy(asc(servers.id));
  }

  async get(id: string): Promise<ServerRow | undefined> {
    const [row] = await this.db.select().from(servers).where(eq(servers.id, id));
    return row;
  }

  /** The row, locked until the transaction ends. */
  async getForUpdate(id: string): Promise<ServerRow | undefined> {
    const [row] = await this.db.select().from(servers).where(eq(servers.id, id)).for('update');
    return row;
  }

  /** Tool counts by server. */
  async toolCounts(): Promise<Map<string, number>> {
    const rows = await this.db.select({ serverId: tools.serverId, total: count() }).from(tools).groupBy(tools.serverId);
    return new Map(rows.map((row) => [row.serverId, Number(row.total)]));
  }

  /** Which other server holds `port`, if any. */
  async portHolder(port: number, except?: string): Promise<string | undefined> {
    const [row] = await this.db.select({ id: servers.id }).from(servers).where(eq(servers.port, port));
    return row && row.id !== except ? row.id : undefined;
  }

  async insert(fields: ServerFields): Promise<ServerRow> {
    try {
      const [row] = await this.db.insert(servers).values(fields).returning();
      return row!;
    } catch (error) {
      throw this.violation(error, fields);
    }
  }

  async update(id: string, fields: ServerFields): Promise<ServerRow> {
    try {
      // The touch trigger bumps version and updated_at.
      const [row] = await this.db.update(servers).set(fields).where(eq(servers.id, id)).returning();
      if (!row) throw new AppError('not_found', `No server "${id}"`);
      return row;
    } catch (error) {
      throw this.violation(error, fields);
    }
  }

  /** Delete the row; its tools go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<ServerRow | undefined> {
    const [row] = await this.db.delete(servers).where(eq(servers.id, id)).returning();
    return row;
  }

  /** Every tool of every enabled composed server (the clash check), `except` one server whose state the caller supplies. */
  async composedTools(except?: string): Promise<{ server: ServerRow; tools: string[] }[]> {
    const rows = await this.db
      .select({ server: servers, tool: tools.name })
      .from(servers)
      .leftJoin(tools, eq(tools.serverId, servers.id))
      .where(and(eq(servers.enabled, true), eq(servers.compose, true)));
    const byServer = new Map<string, { server: ServerRow; tools: string[] }>();
    for (const { server, tool } of rows) {
      if (server.id === except) continue;
      let entry = byServer.get(server.id);
      if (!entry) byServer.set(server.id, (entry = { server, tools: [] }));
      if (tool !== null) entry.tools.push(tool);
    }
    return [...byServer.values()];
  }

  /** The upstreams that feed one server (deleted with it: ON DELETE CASCADE). */
  async upstreamIds(id: string): Promise<string[]> {
    const rows = await this.db.select({ id: upstreams.id }).from(upstreams).where(eq(upstreams.serverId, id)).orderBy(asc(upstreams.id));
    return rows.map((row) => row.id);
  }

  /** The tool names of one server. */
  async toolNames(id: string): Promise<string[]> {
    const rows = await this.db.select({ name: tools.name }).from(tools).where(eq(tools.serverId, id));
    return rows.map((row) => row.name);
  }

  /** Which tools of enabled composed servers (other than `serverId`/`tool` itself) are listed as `composed` on the gateway /mcp. */
  async composedNameHolders(composed: string, serverId: string, tool: string): Promise<ComposedToolRow[]> {
    const rows = await this.db
      .select({ serverId: servers.id, tool: tools.name })
      .from(tools)
      .innerJoin(servers, eq(servers.id, tools.serverId))
      .where(
        and(
          eq(servers.enabled, true),
          eq(servers.compose, true),
          sql`coalesce(${servers.toolPrefix}, ${servers.id}) || '_' || ${tools.name} = ${composed}`,
          sql`not (${tools.serverId} = ${serverId} and ${tools.name} = ${tool})`,
        ),
      );
    return rows;
  }

  private violation(error: unknown, fields: ServerFields): unknown {
    const state = sqlStateOf(error);
    if (state === '23505') {
      const constraint = (error as { constraint_name?: string; constraint?: string }).constraint_name ?? (error as { constraint?: string }).constraint ?? '';
      if (constraint.includes('port')) {
        return new AppError('conflict', `Port ${fields.port} is already used by another server`, { details: [{ path: '/port', message: 'is in use' }] });
      }
      return new AppError('conflict', `A server "${fields.id}" already exists`, { details: [{ path: '/id', message: 'already exists' }] });
    }
    if (state === '23514') return new AppError('bad_request', `The server row breaks a database check: ${(error as Error).message}`);
    return error;
  }
}

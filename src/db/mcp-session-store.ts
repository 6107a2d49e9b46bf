import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { mcpSessions } from './schema.ts';

/** What a 2025-era session is, as every process needs it to serve the session: no more than its initialize said. */
export interface McpSessionRecord {
  id: string;
  serverId: string;
  actor: string;
  protocolVersion: string;
  clientInfo: Record<string, unknown>;
  clientCapabilities: Record<string, unknown>;
}

/** One statement's parameter list stays bounded. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) out.push(items.slice(start, start + CHUNK));
  return out;
}

/**
 * Reads and writes of `mcp_sessions` (migration 0013). A row is written once,
 * at initialize; processes read it the first time they see its id, write
 * last_seen_at back in batches and delete it to end the session (the
 * trigger tells every process).
 */
export class McpSessionStore {
  constructor(private readonly db: Db) {}

  /** Record new sessions (an id already there is kept as it is). */
  async insert(records: readonly McpSessionRecord[]): Promise<void> {
    for (const part of chunks(records)) {
      await this.db
        .insert(mcpSessions)
        .values(part.map((record) => ({ ...record })))
        .onConflictDoNothing({ target: mcpSessions.id });
    }
  }

  /** The session, when it exists and was seen within `idleMs` (an older one is expired, whether or not it was swept yet). */
  async find(id: string, idleMs: number): Promise<McpSessionRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(mcpSessions)
      .where(and(eq(mcpSessions.id, id), sql`${mcpSessions.lastSeenAt} >= now() - make_interval(secs => ${idleMs / 1000})`));
    if (!row) return undefined;
    return {
      id: row.id,
      serverId: row.serverId,
      actor: row.actor,
      protocolVersion: row.protocolVersion,
      clientInfo: row.clientInfo as Record<string, unknown>,
      clientCapabilities: row.clientCapabilities as Record<string, unknown>,
    };
  }

  /** End sessions (every process is told by the trigger); resolves to the ids that existed. */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone: string[] = [];
    for (const part of chunks(ids)) {
      const rows = await this.db.delete(mcpSessions).where(inArray(mcpSessions.id, part)).returning({ id: mcpSessions.id });
      gone.push(...rows.map((row) => row.id));
    }
    return gone;
  }

  /** Mark sessions as used now; resolves to the ids that still exist (the others ended elsewhere). */
  async touch(ids: readonly string[]): Promise<string[]> {
    const alive: string[] = [];
    for (const part of chunks(ids)) {
      const rows = await this.db.update(mcpSessions).set({ lastSeenAt: sql`now()` }).where(inArray(mcpSessions.id, part)).returning({ id: mcpSessions.id });
      alive.push(...rows.map((row) => row.id));
    }
    return alive;
  }

  /** Delete the sessions nobody used for `idleMs`; resolves to how many. */
  async deleteIdle(idleMs: number): Promise<number> {
    const rows = await this.db
      .delete(mcpSessions)
      .where(lt(mcpSessions.lastSeenAt, sql`now() - make_interval(secs => ${idleMs / 1000})`))
      .returning({ id: mcpSessions.id });
    return rows.length;
  }
}

import { eq, lt } from 'drizzle-orm';
import type { Db } from './client.ts';
import { uiSessions } from './schema.ts';

/** One admin UI session as stored (migration 0015): never the token or the credential. */
export interface UiSessionRecord {
  /** SHA-256 (hex) of the cookie's token. */
  id: string;
  actor: string;
  keyId: string | null;
  tokenCheck: string | null;
  expiresAt: Date;
}

/** Reads and writes of `ui_sessions`. */
export class UiSessionStore {
  constructor(private readonly db: Db) {}

  /** Record a new session, and sweep the ones that have ended. */
  async insert(record: UiSessionRecord): Promise<void> {
    await this.db.delete(uiSessions).where(lt(uiSessions.expiresAt, new Date()));
    await this.db.insert(uiSessions).values({ ...record });
  }

  /** The session with this digest, when it exists and has not expired. */
  async find(id: string): Promise<UiSessionRecord | undefined> {
    const [row] = await this.db.select().from(uiSessions).where(eq(uiSessions.id, id));
    if (!row || row.expiresAt.getTime() <= Date.now()) return undefined;
    return { id: row.id, actor: row.actor, keyId: row.keyId, tokenCheck: row.tokenCheck, expiresAt: row.expiresAt };
  }

  /** Sign-out: resolves to whether the session existed. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.db.delete(uiSessions).where(eq(uiSessions.id, id)).returning({ id: uiSessions.id });
    return rows.length > 0;
  }
}

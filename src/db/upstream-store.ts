import { asc, eq, sql } from 'drizzle-orm';
import { sqlStateOf } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import type { Db } from './client.ts';
import { servers, type UpstreamRow, upstreams } from './schema.ts';

/** An upstream as stored (the columns of `upstreams`, timestamps as dates). */
export type StoredUpstream = Omit<UpstreamRow, 'headers' | 'env'> & { headers: Record<string, string>; env: Record<string, string> };

/** The writable columns: everything but the id and the timestamps. */
export type UpstreamDraft = Omit<StoredUpstream, 'id' | 'createdAt' | 'updatedAt'>;

function stored(row: UpstreamRow): StoredUpstream {
  return {
    ...row,
    headers: { ...(row.headers as Record<string, string>) },
    env: { ...(row.env as Record<string, string>) },
    args: [...row.args],
    include: [...row.include],
    exclude: [...row.exclude],
    createdAt: row.createdAt instanceof Date ? row.createdAt : new Date(row.createdAt),
    updatedAt: row.updatedAt instanceof Date ? row.updatedAt : new Date(row.updatedAt),
  };
}

/** A constraint violation as an AppError (never the driver's text: it may quote the row). */
function translated(error: unknown, id: string): unknown {
  const code = sqlStateOf(error);
  if (code === '23505') return new AppError('conflict', `An upstream "${id}" already exists`, { details: [{ path: '/id', message: 'already exists' }] });
  if (code === '23514')
    return new AppError('bad_request', `The upstreams row for "${id}" breaks a check constraint (id, transport and its url or command, prefix)`);
  return error;
}

/** Reads and writes of `upstreams` (migration 0014). */
export class UpstreamStore {
  constructor(private readonly db: Db) {}

  /** `work` in one transaction with `toolport.actor` set, which the change-log trigger records. */
  transaction<T>(actor: string, work: (store: UpstreamStore) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('toolport.actor', ${actor}, true)`);
      return work(new UpstreamStore(tx as unknown as Db));
    });
  }

  async list(): Promise<StoredUpstream[]> {
    return (await this.db.select().from(upstreams).orderBy(asc(upstreams.id))).map(stored);
  }

  /** Whether the server an upstream would feed exists (read in the write's transaction, locking it against a delete). */
  async serverExists(id: string): Promise<boolean> {
    const rows = await this.db.select({ id: servers.id }).from(servers).where(eq(servers.id, id)).for('share');
    return rows.length > 0;
  }

  async getForUpdate(id: string): Promise<StoredUpstream | undefined> {
    const [row] = await this.db.select().from(upstreams).where(eq(upstreams.id, id)).for('update');
    return row ? stored(row) : undefined;
  }

  async insert(id: string, draft: UpstreamDraft): Promise<StoredUpstream> {
    try {
      const [row] = await this.db
        .insert(upstreams)
        .values({ id, ...draft })
        .returning();
      return stored(row!);
    } catch (error) {
      throw translated(error, id);
    }
  }

  async update(id: string, draft: Partial<UpstreamDraft>): Promise<StoredUpstream> {
    let row: UpstreamRow | undefined;
    try {
      [row] = await this.db.update(upstreams).set(draft).where(eq(upstreams.id, id)).returning();
    } catch (error) {
      throw translated(error, id);
    }
    if (!row) throw new AppError('not_found', `No upstream "${id}"`);
    return stored(row);
  }

  async delete(id: string): Promise<StoredUpstream> {
    const [row] = await this.db.delete(upstreams).where(eq(upstreams.id, id)).returning();
    if (!row) throw new AppError('not_found', `No upstream "${id}"`);
    return stored(row);
  }
}

import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { sqlStateOf } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import type { Db } from './client.ts';
import { type DataSourceRow, dataSources, tools } from './schema.ts';

/**
 * Reads and writes of the `data_sources` table. StoredDataSource is the one
 * definition of a source's shape: the providers' DataSourceDefinition is it.
 */
export interface StoredDataSource {
  id: string;
  description: string;
  kind: 'postgres';
  url: string | null;
  access: 'read_only' | 'read_write';
  poolSize: number;
  statementTimeoutMs: number;
  rowLimit: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The columns a write decides (id aside). */
export interface DataSourceDraft {
  description: string;
  url: string | null;
  access: 'read_only' | 'read_write';
  poolSize: number;
  statementTimeoutMs: number;
  rowLimit: number;
  enabled: boolean;
}

/** A tool that names a source in its handler_config. */
export interface SourceUser {
  serverId: string;
  name: string;
}

/** The handler kinds whose handler_config.source names a data source. */
export const SOURCE_HANDLERS = ['sql', 'database'] as const;

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function storedDataSource(row: DataSourceRow): StoredDataSource {
  return {
    id: row.id,
    description: row.description,
    kind: 'postgres',
    url: row.url,
    access: row.access === 'read_write' ? 'read_write' : 'read_only',
    poolSize: row.poolSize,
    statementTimeoutMs: row.statementTimeoutMs,
    rowLimit: row.rowLimit,
    enabled: row.enabled,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function constraintOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const record = current as { constraint_name?: unknown; constraint?: unknown; message?: unknown };
    const name = record.constraint_name ?? record.constraint;
    if (typeof name === 'string') return name;
    const match = typeof record.message === 'string' ? /check constraint "([^"]+)"/.exec(record.message) : null;
    if (match) return match[1]!;
    current = (current as { cause?: unknown }).cause;
  }
  return 'a check constraint';
}

/** Constraint violations as AppErrors (never the driver's text: it may quote the row, URL included). */
function translated(error: unknown, id: string): unknown {
  const code = sqlStateOf(error);
  if (code === '23505') return new AppError('conflict', `A data source "${id}" already exists`, { details: [{ path: '/id', message: 'already exists' }] });
  if (code === '23514') return new AppError('bad_request', `The data_sources row for "${id}" breaks ${constraintOf(error)}`);
  return error;
}

export class DataSourceStore {
  constructor(private readonly db: Db) {}

  /** `work` in one transaction with `toolport.actor` set, which the change-log trigger records (as RegistryStore.transaction does). */
  transaction<T>(actor: string, work: (store: DataSourceStore) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('toolport.actor', ${actor}, true)`);
      return work(new DataSourceStore(tx as unknown as Db));
    });
  }

  async list(): Promise<StoredDataSource[]> {
    const rows = await this.db.select().from(dataSources).orderBy(asc(dataSources.id));
    return rows.map(storedDataSource);
  }

  async get(id: string): Promise<StoredDataSource | undefined> {
    const [row] = await this.db.select().from(dataSources).where(eq(dataSources.id, id));
    return row ? storedDataSource(row) : undefined;
  }

  /** The row, locked until the transaction ends (a read-modify-write cannot lose a concurrent one). */
  async getForUpdate(id: string): Promise<StoredDataSource | undefined> {
    const [row] = await this.db.select().from(dataSources).where(eq(dataSources.id, id)).for('update');
    return row ? storedDataSource(row) : undefined;
  }

  async insert(id: string, draft: DataSourceDraft): Promise<StoredDataSource> {
    try {
      const [row] = await this.db
        .insert(dataSources)
        .values({ id, ...draft })
        .returning();
      return storedDataSource(row!);
    } catch (error) {
      throw translated(error, id);
    }
  }

  async update(id: string, draft: DataSourceDraft): Promise<StoredDataSource> {
    let row: DataSourceRow | undefined;
    try {
      [row] = await this.db.update(dataSources).set(draft).where(eq(dataSources.id, id)).returning();
    } catch (error) {
      throw translated(error, id);
    }
    if (!row) throw new AppError('not_found', `No data source "${id}"`);
    return storedDataSource(row);
  }

  async delete(id: string): Promise<StoredDataSource> {
    const [row] = await this.db.delete(dataSources).where(eq(dataSources.id, id)).returning();
    if (!row) throw new AppError('not_found', `No data source "${id}"`);
    return storedDataSource(row);
  }

  /** Tools (on any server) whose handler_config.source is `id`, at most `limit`, and how many there are in all. */
  async toolsUsing(id: string, limit: number): Promise<{ total: number; tools: SourceUser[] }> {
    const rows = await this.db
      .select({ serverId: tools.serverId, name: tools.name, total: sql<number>`count(*) over ()`.mapWith(Number) })
      .from(tools)
      .where(and(inArray(tools.handler, [...SOURCE_HANDLERS]), sql`${tools.handlerConfig}->>'source' = ${id}`))
      .orderBy(asc(tools.serverId), asc(tools.name))
      .limit(limit);
    return { total: rows[0]?.total ?? 0, tools: rows.map(({ serverId, name }) => ({ serverId, name })) };
  }
}

import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../drizzle/schema.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { memoryImage, newDataDir } from './pglite-new-data-dir.ts';
import { hasDatabase } from './pglite-template.ts';
import { reconnectBackoff } from './reconnect.ts';

/** Drizzle over either driver: both are PgDatabase, so store code is written once. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type Row = Record<string, unknown>;

/** Rows of a drizzle execute() result on either driver (postgres.js: an array; PGlite: { rows }). */
export function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const rows = (result as { rows?: unknown[] }).rows;
  return Array.isArray(rows) ? rows.length : 0;
}

export interface QueryResult {
  rows: Row[];
  fields: string[];
}

/** One result of a raw statement: rows, each field's name and type oid, the command tag's verb and its count. */
export interface RawResult {
  rows: Row[];
  fields: { name: string; typeId: number }[];
  command: string;
  /** Rows affected (INSERT/UPDATE/DELETE) or returned, when the driver reports it. */
  rowCount: number | undefined;
}

/** Statements of one raw transaction (the built-in `samples` data source): one statement each, parameters bound. */
export interface RawTransaction {
  query(text: string, params?: unknown[]): Promise<RawResult>;
}

export interface Database {
  kind: 'postgres' | 'pglite';
  db: Db;
  /** Raw SQL (the `sql` command, health checks, tests). */
  query(text: string, params?: unknown[]): Promise<QueryResult>;
  /** One transaction (BEGIN … COMMIT, ROLLBACK when `fn` throws) on one connection, for parameterized statements of the caller's. */
  transaction<T>(fn: (tx: RawTransaction) => Promise<T>): Promise<T>;
  /** The embedded instance, when there is one (the SQL port serves it). */
  pglite: PGlite | undefined;
  /** The data-dir lock, when embedded (the SQL port is recorded in it). */
  lock: DataDirLock | undefined;
  /**
   * LISTEN on a channel. `onListen` runs every time the listen is
   * (re)established: notifications sent while disconnected are lost, so the
   * caller re-syncs there. Resolves to an unlisten function.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListen: () => void): Promise<() => Promise<void>>;
  /** A string safe to log: never contains a password. */
  describe: string;
  /** Something the operator should know about how it was opened (an interrupted first start's remains moved aside). */
  notice?: string | undefined;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  /** postgres.js pool size. */
  poolSize?: number;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10) : openPglite(options.dataDir);
}

function openPostgres(url: string, poolSize: number): Database {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    backoff: reconnectBackoff,
  });
  const db = drizzlePostgres({ client, schema }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    pglite: undefined,
    lock: undefined,
    describe: `postgres ${redactUrl(url)}`,
    async query(text, params = []) {
      const result = await client.unsafe(text, params as never[]);
      return { rows: [...result] as Row[], fields: (result.columns ?? []).map((column) => column.name) };
    },
    transaction(fn) {
      return client.begin((tx) =>
        fn({
          async query(text, params = []) {
            // simple: false — one statement only, even without parameters (the simple protocol would run a list).
            const result = await tx.unsafe(text, params as never[], { simple: false } as postgres.UnsafeQueryOptions);
            return {
              rows: [...result] as Row[],
              fields: (result.columns ?? []).map((column) => ({ name: column.name, typeId: column.type })),
              command: result.command,
              rowCount: result.count ?? undefined,
            };
          },
        }),
      ) as Promise<never>;
    },
    async listen(channel, onNotify, onListen) {
      const subscription = await client.listen(channel, onNotify, onListen);
      return () => subscription.unlisten();
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/** A data dir of `memory://` opens an in-memory database (tests). */
async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDataDirLock(dataDir);
  }
  // Loaded only in embedded mode: PGlite and its WebAssembly cost tens of MB a Postgres deployment should not carry.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')]);
  let pglite: PGlite;
  let notice: string | undefined;
  try {
    // A new data dir is a copy of the template (made by a child process, so this one never carries initdb's memory).
    if (!inMemory && !hasDatabase(dataDir)) {
      const { movedAside } = await newDataDir(dataDir);
      if (movedAside) notice = `the data dir held an unfinished database (an interrupted first start): moved to ${movedAside}, a new one made`;
    }
    if (inMemory) {
      const image = await memoryImage();
      pglite = await PGlite.create(image ? { loadDataDir: image } : {});
    } else pglite = await PGlite.create(dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client: pglite, schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    pglite,
    lock,
    describe: inMemory ? 'embedded PGlite (in memory)' : `embedded PGlite at ${dataDir}`,
    notice,
    async query(text, params = []) {
      // exec handles several statements; query handles parameters.
      if (params.length === 0) {
        const results = await pglite.exec(text);
        const last = results[results.length - 1];
        return { rows: (last?.rows ?? []) as Row[], fields: (last?.fields ?? []).map((field) => field.name) };
      }
      const result = await pglite.query(text, params);
      return { rows: result.rows as Row[], fields: result.fields.map((field) => field.name) };
    },
    transaction(fn) {
      return pglite.transaction((tx) =>
        fn({
          async query(text, params = []) {
            const result = await tx.query<Row>(text, params);
            return {
              rows: result.rows,
              fields: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
              // PGlite does not expose the command tag; the statement's first word is what callers need.
              command: commandOf(text),
              rowCount: result.affectedRows ?? result.rows.length,
            };
          },
        }),
      );
    },
    async listen(channel, onNotify, onListen) {
      // In-process only: changes made through the SQL port (psql) raise no
      // notification here, which is why the change feed also polls.
      const unlisten = await pglite.listen(channel, onNotify);
      onListen();
      return unlisten;
    },
    async close() {
      try {
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** The first keyword of a statement (after comments), upper-cased: what PGlite's results do not report. */
function commandOf(text: string): string {
  const body = text.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return /^[A-Za-z]+/.exec(body)?.[0]?.toUpperCase() ?? '';
}

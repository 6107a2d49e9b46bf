/**
 * The contract between data sources (this folder: definitions held in
 * memory, one lazily opened postgres.js pool per source, the built-in
 * `samples` source over Toolport's own database) and the handler kinds that
 * run SQL (`sql`, the database tool pack). A handler never sees a URL or a
 * pool: it asks for one transaction on a source by id, with the options the
 * call needs, and gets a session that runs statements with bound parameters.
 */
import type { StoredDataSource } from '../../db/data-source-store.ts';

export type DataSourceAccess = StoredDataSource['access'];

export const DATA_SOURCE_ACCESS: readonly DataSourceAccess[] = ['read_only', 'read_write'];

/** The id of the built-in source over the offline sample tables (Toolport's own database, a role with SELECT on those tables only). */
export const SAMPLES_SOURCE_ID = 'samples';

/**
 * One `data_sources` row as the process holds it: the store's shape (the
 * `url` is a `${secret:NAME}` reference, resolved at call time and never
 * returned or logged; null only for the built-in `samples` source).
 */
export type DataSourceDefinition = StoredDataSource;

/** A result column: its name and its Postgres type name (`int4`, `text`, `timestamptz` …). */
export interface SqlColumn {
  name: string;
  type: string;
}

/** Bounds on what one statement may bring back; rows past them are not fetched. */
export interface FetchLimits {
  /** At most this many rows; one more is asked for to know `truncated`. */
  maxRows: number;
  /** At most about this many bytes of rows (their JSON size). */
  maxBytes: number;
}

export interface SqlResult {
  rows: Record<string, unknown>[];
  columns: SqlColumn[];
  /** Rows returned (after truncation), or rows affected for INSERT/UPDATE/DELETE without RETURNING. */
  rowCount: number;
  /** Whether rows were left unfetched because of a limit. */
  truncated: boolean;
  /** The command tag's verb: SELECT, INSERT, UPDATE, DELETE, EXPLAIN … */
  command: string;
}

/** Statements of one transaction on one source. */
export interface SqlSession {
  /** One statement (no `;`-separated lists), parameters bound as $1, $2 …; without limits every row is read. */
  query(text: string, params?: unknown[], limits?: FetchLimits): Promise<SqlResult>;
}

export interface TransactionOptions {
  /** `READ ONLY` transaction. A `read_only` source is always read only, whatever is asked. */
  readOnly: boolean;
  /** SET LOCAL statement_timeout; defaults to the source's statementTimeoutMs. */
  statementTimeoutMs?: number;
  /** SET LOCAL of custom settings: `toolport.server`, `toolport.tool`, `toolport.caller` (set_config(name, value, true)). */
  settings: Record<string, string>;
  /** The call's abort signal: an aborted call cancels its statement. */
  signal?: AbortSignal;
  /**
   * Prepare statements (postgres.js caches them per connection by text): for the fixed statements of `sql`
   * tools; leave it off for ad-hoc SQL (execute_sql), which would only fill the cache. Default false.
   */
  prepareStatements?: boolean;
}

/**
 * A statement the database refused (syntax, permission, constraint,
 * read-only transaction, timeout …): the model can fix its query, so it
 * becomes an isError result with the SQLSTATE and message.
 */
export class SqlStatementError extends Error {
  readonly sqlstate: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  constructor(message: string, sqlstate: string, extra: { detail?: string; hint?: string; position?: number } = {}) {
    super(message);
    this.name = 'SqlStatementError';
    this.sqlstate = sqlstate;
    this.detail = extra.detail;
    this.hint = extra.hint;
    this.position = extra.position;
  }
}

/** The source cannot be used now (unknown, disabled, unset secret, unreachable, no role): calls fail fast with `unavailable` and this reason. */
export class DataSourceUnavailableError extends Error {
  readonly sourceId: string;
  constructor(sourceId: string, reason: string) {
    super(`data source "${sourceId}" is unavailable: ${reason}`);
    this.name = 'DataSourceUnavailableError';
    this.sourceId = sourceId;
  }
}

/** What handler kinds get: lookups and transactions by source id. */
export interface DataSourceAccessor {
  get(id: string): DataSourceDefinition | undefined;
  /** Why the source cannot be used in this process now (unknown, disabled, unset secret, known down), undefined when it may be tried. */
  unavailableReason(id: string): string | undefined;
  /**
   * Runs `fn` in one transaction on the source (BEGIN [READ ONLY]; SET LOCAL
   * statement_timeout and the settings; the `samples` role), commits when it
   * resolves, rolls back when it throws. Throws DataSourceUnavailableError
   * when the source cannot be reached (after bounded retries for read-only
   * transactions) and SqlStatementError for what the database refused.
   */
  transaction<T>(id: string, options: TransactionOptions, fn: (session: SqlSession) => Promise<T>): Promise<T>;
}

/**
 * Where the registry layer puts the definitions it loaded (at start, and
 * after every change of the `data_sources` table, from this process, SQL or
 * another replica): always the whole list, the built-in `samples` included.
 * A source that changed or disappeared has its pool closed; its next call
 * opens a new one with the new definition.
 */
export interface DataSourceSink {
  replace(definitions: readonly DataSourceDefinition[]): void;
}

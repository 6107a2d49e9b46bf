import type postgres from 'postgres';
import { abortReason } from './retry.ts';
import { RowCollector } from './rows.ts';
import { TYPE_LOOKUP_SQL, type TypeNames } from './type-names.ts';
import type { FetchLimits, SqlResult, SqlSession } from './types.ts';

/**
 * Statements of one transaction on a postgres.js reserved connection. With
 * limits a statement is read through a portal (postgres.js `.cursor(n)`: the
 * extended protocol's Execute with a row count), so rows past the limits are
 * never sent — this works for INSERT … RETURNING too: the statement runs to
 * completion, only its returned rows are held back. The first batch asks for
 * maxRows + 1 rows (capped), which is one round trip for most results.
 */

type Reserved = postgres.TransactionSql;
type Pending = postgres.PendingQuery<postgres.Row[]>;

/** The largest portal batch (the first one asks for maxRows + 1, capped here). */
export const MAX_BATCH = 500;

export interface PgSessionOptions {
  connection: Reserved;
  types: TypeNames;
  /** Runs before the first statement's result is used: BEGIN and the settings, pipelined with it. */
  ready: Promise<unknown>;
  /** Whether statements are prepared (cached per connection by text): fixed statements of `sql` tools gain, ad-hoc SQL would only fill the cache. */
  prepare: boolean;
  /** postgres.js's marker a cursor callback returns to close the portal (on the pool's `sql`, not on a transaction's). */
  close: unknown;
  signal: AbortSignal | undefined;
}

/** The first keyword of a statement (after comments), upper-cased: the command when a closed portal did not report one. */
function firstKeyword(text: string): string {
  const body = text.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return /^[A-Za-z]+/.exec(body)?.[0]?.toUpperCase() ?? '';
}

export class PgSession implements SqlSession {
  /** The statement running now, for cancel(). */
  private running: Pending | undefined;
  private ready: Promise<unknown> | undefined;

  constructor(private readonly options: PgSessionOptions) {
    this.ready = options.ready;
  }

  /** Cancels the running statement (an aborted call); the server answers it with 57014. */
  cancel(): void {
    this.running?.cancel();
  }

  async query(text: string, params: unknown[] = [], limits?: FetchLimits): Promise<SqlResult> {
    const { connection } = this.options;
    if (this.options.signal?.aborted) throw abortReason(this.options.signal);
    // simple: false always — postgres.js sends a statement without parameters by the simple protocol, which runs
    // `select 1; commit; delete …` as three statements; the extended protocol refuses more than one.
    const query = connection.unsafe(text, params as never[], { prepare: this.options.prepare, simple: false } as postgres.UnsafeQueryOptions) as Pending;
    this.running = query;
    try {
      const collector = new RowCollector(limits);
      let columns: postgres.ColumnList<string> | undefined;
      let final: postgres.RowList<postgres.Row[]>;
      if (limits) {
        const batch = Math.max(1, Math.min(limits.maxRows + 1, MAX_BATCH));
        const delivered = new Set<unknown>();
        const done = query.cursor(batch, (rows) => {
          delivered.add(rows);
          columns ??= (rows as unknown as postgres.RowList<postgres.Row[]>).columns;
          // postgres.js's marker: close the portal, fetch no more.
          for (const row of rows) if (!collector.push(row)) return this.options.close as never;
          return undefined;
        }) as unknown as Pending;
        done.execute();
        await this.whenReady(done);
        final = await done;
        // A result that completes without a row count (EXPLAIN, SHOW) is not passed to the callback.
        if (final && !delivered.has(final)) for (const row of final) if (!collector.push(row)) break;
      } else {
        query.execute();
        await this.whenReady(query);
        final = await query;
        for (const row of final) collector.push(row);
      }
      columns = final?.columns?.length ? final.columns : (columns ?? final?.columns ?? []);
      const types = await this.options.types.names(
        columns.map((column) => column.type),
        (oids) => connection.unsafe(TYPE_LOOKUP_SQL, [oids] as never[]) as unknown as Promise<{ oid: number; typname: string }[]>,
      );
      const command = final?.command ?? firstKeyword(text);
      const hasRows = columns.length > 0;
      return {
        rows: collector.rows,
        columns: columns.map((column, index) => ({ name: column.name, type: types[index]! })),
        rowCount: hasRows ? collector.rows.length : Number(final?.count ?? 0),
        truncated: collector.truncated,
        command,
      };
    } finally {
      this.running = undefined;
    }
  }

  /** BEGIN and the settings were sent ahead of the first statement; their failure is the statement's. */
  private async whenReady(statement: Promise<unknown>): Promise<void> {
    const ready = this.ready;
    if (!ready) return;
    this.ready = undefined;
    try {
      await ready;
    } catch (error) {
      statement.catch(() => {});
      throw error;
    }
  }
}

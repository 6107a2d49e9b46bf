import type { Database, RawTransaction } from '../../db/client.ts';
import type { Logger } from '../../shared/logger.ts';
import { classify } from './errors.ts';
import { abortReason } from './retry.ts';
import { RowCollector } from './rows.ts';
import { settingsStatement } from './settings.ts';
import { TYPE_LOOKUP_SQL, TypeNames } from './type-names.ts';
import {
  type DataSourceDefinition,
  DataSourceUnavailableError,
  type FetchLimits,
  SAMPLES_SOURCE_ID,
  type SqlResult,
  type SqlSession,
  type TransactionOptions,
} from './types.ts';

/**
 * The built-in `samples` source: the offline sample tables in Toolport's own
 * database, read through a role that may SELECT those tables and nothing
 * else, taken with SET LOCAL ROLE inside each (always READ ONLY)
 * transaction. The database enforces it: a statement on `tools` fails with
 * 42501. The role is made on first use where the connecting user may; where
 * it may not, the source is unavailable with the SQL an administrator runs.
 *
 * SET ROLE is a wall for the fixed statements of `sql` tools (parameters are
 * bound, never spliced in). It is not one against arbitrary SQL: the session
 * user may always switch back (`RESET ROLE`, `set_config('role', …)`). So
 * the role is taken again before every statement, and tools that run an
 * agent's SQL must refuse SET and set_config by parsing (the database pack).
 */

export const SAMPLES_ROLE = 'toolport_samples_reader';
export const SAMPLE_TABLES = ['sample_stock_quotes', 'sample_financial_news', 'sample_weather'] as const;

/** How long a failed role setup is remembered before the next call tries again (an administrator may have fixed it). */
const SETUP_RETRY_MS = 5000;
const FETCH_BATCH = 500;

export function samplesDefinition(now = new Date(0).toISOString()): DataSourceDefinition {
  return {
    id: SAMPLES_SOURCE_ID,
    description: "Toolport's offline sample tables (sample_stock_quotes, sample_financial_news, sample_weather), read only.",
    kind: 'postgres',
    url: null,
    access: 'read_only',
    poolSize: 1,
    statementTimeoutMs: 5000,
    rowLimit: 1000,
    enabled: true,
    createdAt: now,
    updatedAt: now,
  };
}

/** What the connecting user runs instead, when it may not create roles (printed in the reason). */
export const SAMPLES_ROLE_SQL = `CREATE ROLE ${SAMPLES_ROLE} NOLOGIN; GRANT ${SAMPLES_ROLE} TO <toolport's user>; GRANT SELECT ON ${SAMPLE_TABLES.join(', ')} TO ${SAMPLES_ROLE};`;

const code = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

export class SamplesSource {
  private database: Database | undefined;
  private setup: Promise<void> | undefined;
  private failure: { reason: string; at: number } | undefined;
  private readonly types = new TypeNames();

  constructor(private readonly logger: Logger) {}

  bind(database: Database): void {
    this.database = database;
    this.setup = undefined;
    this.failure = undefined;
  }

  unavailableReason(now = Date.now()): string | undefined {
    if (!this.database) return "Toolport's own database is not bound to the data sources";
    if (this.failure && now - this.failure.at < SETUP_RETRY_MS) return this.failure.reason;
    return undefined;
  }

  async transaction<T>(definition: DataSourceDefinition, options: TransactionOptions, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const reason = this.unavailableReason();
    if (reason || !this.database) throw new DataSourceUnavailableError(SAMPLES_SOURCE_ID, reason ?? 'not bound');
    await this.ensureRole(this.database);
    const settings = settingsStatement(options.statementTimeoutMs ?? definition.statementTimeoutMs, options.settings);
    const redact = (text: string) => text;
    try {
      return await this.database.transaction(async (tx) => {
        // Always read only, whatever is asked: the first statement of the transaction, before any query.
        await tx.query('SET TRANSACTION READ ONLY');
        await tx.query(settings.text, settings.params);
        await tx.query(`SET LOCAL ROLE ${SAMPLES_ROLE}`);
        return fn(new SamplesSession(tx, this.types, options.signal));
      });
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      throw classify(error, SAMPLES_SOURCE_ID, redact);
    }
  }

  /** Once per process (and again after a failure, at most every few seconds): the role, its membership, its grants. */
  private ensureRole(database: Database): Promise<void> {
    this.setup ??= this.createRole(database).catch((error: unknown) => {
      this.setup = undefined;
      const reason = error instanceof DataSourceUnavailableError ? error.message.replace(/^data source "samples" is unavailable: /, '') : String(error);
      this.failure = { reason, at: Date.now() };
      this.logger.warn('the samples data source is unavailable', { reason });
      throw new DataSourceUnavailableError(SAMPLES_SOURCE_ID, reason);
    });
    return this.setup;
  }

  private async createRole(database: Database): Promise<void> {
    const refuse = (what: string, error: unknown) =>
      new DataSourceUnavailableError(
        SAMPLES_SOURCE_ID,
        `the connecting role may not ${what} (${(error as Error).message}); create ${SAMPLES_ROLE} as an administrator: ${SAMPLES_ROLE_SQL}`,
      );
    const exists = await database.query('SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', [SAMPLES_ROLE]);
    if (exists.rows.length === 0) {
      try {
        await database.query(`CREATE ROLE ${SAMPLES_ROLE} NOLOGIN`);
      } catch (error) {
        // Another process (or replica) created it first: fine.
        if (code(error) === '42501') throw refuse('create roles', error);
        if (code(error) !== '42710' && code(error) !== '23505') throw error;
      }
    }
    const member = await database.query("SELECT pg_catalog.pg_has_role(current_user, $1, 'MEMBER') AS member", [SAMPLES_ROLE]);
    if (member.rows[0]?.member !== true) {
      try {
        await database.query(`GRANT ${SAMPLES_ROLE} TO CURRENT_USER`);
      } catch (error) {
        if (code(error) === '42501' || code(error) === '0LP01') throw refuse(`grant ${SAMPLES_ROLE} to itself`, error);
        throw error;
      }
    }
    // Grants are per database: run on every first use per process (cheap). Two processes granting at once may
    // collide on the catalog row ("tuple concurrently updated"): once more is enough.
    const grant = `GRANT SELECT ON ${SAMPLE_TABLES.join(', ')} TO ${SAMPLES_ROLE}`;
    try {
      await database.query(grant);
    } catch (error) {
      if (code(error) === '42501') throw refuse('grant SELECT on the sample tables', error);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await database.query(grant);
    }
  }
}

/** The first keyword of a statement (after comments), upper-cased. */
function firstKeyword(text: string): string {
  const body = text.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return /^[A-Za-z]+/.exec(body)?.[0]?.toUpperCase() ?? '';
}

/** Statements a cursor can read (DECLARE … CURSOR FOR takes a SELECT or VALUES; WITH and TABLE are SELECTs). */
const CURSORABLE = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);

/**
 * Statements on Toolport's own database through the Database primitive,
 * which has no portal API: with limits, a reading statement goes through
 * `DECLARE … NO SCROLL CURSOR` and `FETCH n` (at most maxRows + 1 rows are
 * produced); anything else (EXPLAIN, SHOW) is small and read whole.
 */
class SamplesSession implements SqlSession {
  private cursors = 0;

  constructor(
    private readonly tx: RawTransaction,
    private readonly types: TypeNames,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async query(text: string, params: unknown[] = [], limits?: FetchLimits): Promise<SqlResult> {
    if (this.signal?.aborted) throw abortReason(this.signal);
    await this.tx.query(`SET LOCAL ROLE ${SAMPLES_ROLE}`);
    const collector = new RowCollector(limits);
    let fields: { name: string; typeId: number }[];
    let command: string;
    let affected: number | undefined;
    const keyword = firstKeyword(text);
    if (limits && CURSORABLE.has(keyword)) {
      const cursor = `toolport_cursor_${++this.cursors}`;
      await this.tx.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, params);
      const batch = Math.max(1, Math.min(limits.maxRows + 1, FETCH_BATCH));
      let first: { name: string; typeId: number }[] | undefined;
      for (;;) {
        const fetched = await this.tx.query(`FETCH FORWARD ${batch} FROM ${cursor}`);
        first ??= fetched.fields;
        let more = fetched.rows.length === batch;
        for (const row of fetched.rows) {
          if (!collector.push(row)) {
            more = false;
            break;
          }
        }
        if (!more) break;
      }
      await this.tx.query(`CLOSE ${cursor}`);
      fields = first;
      command = 'SELECT';
    } else {
      const result = await this.tx.query(text, params);
      for (const row of result.rows) if (!collector.push(row)) break;
      fields = result.fields;
      command = result.command || keyword;
      affected = result.rowCount;
    }
    const names = await this.types.names(
      fields.map((field) => field.typeId),
      async (oids) => (await this.tx.query(TYPE_LOOKUP_SQL, [oids])).rows as { oid: number; typname: string }[],
    );
    return {
      rows: collector.rows,
      columns: fields.map((field, index) => ({ name: field.name, type: names[index]! })),
      rowCount: fields.length ? collector.rows.length : (affected ?? 0),
      truncated: collector.truncated,
      command,
    };
  }
}

import type postgres from 'postgres';
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../shared/logger.ts';
import { redact, type SecretReader, SecretScope, secretNamesIn, UnsetSecretError, unsetSecretReason } from '../../shared/secrets.ts';
import { classify } from './errors.ts';
import { PgSession } from './pg-session.ts';
import { DEFAULT_POOL_OPTIONS, type PoolOptions, SourcePool } from './pools.ts';
import { abortReason, backoffMs, DEFAULT_RETRY, type RetryPolicy, wait } from './retry.ts';
import { SamplesSource, samplesDefinition } from './samples.ts';
import { settingsStatement } from './settings.ts';
import {
  type DataSourceAccessor,
  type DataSourceDefinition,
  type DataSourceSink,
  DataSourceUnavailableError,
  SAMPLES_SOURCE_ID,
  type SqlSession,
  type TransactionOptions,
} from './types.ts';

/**
 * The data sources of this process: the definitions the registry loaded
 * (replace()), one lazily opened postgres.js pool per source, and the
 * built-in `samples` source over Toolport's own database. Handler kinds ask
 * for one transaction on a source by id (DataSourceAccessor); they never see
 * a URL or a pool.
 *
 * A source's URL is a `${secret:NAME}` reference resolved at every call, and
 * every message that leaves (errors, logs) is redacted of it and of its
 * password. One source's failure never touches another's pool.
 */

export interface DataSourcesOptions {
  secret: SecretReader;
  logger: Logger;
  /** Retries of read-only transactions on connection errors (default 3 tries, 50 → 400 ms, jittered). */
  retry?: Partial<RetryPolicy>;
  /** connect_timeout of the pools (default 3 s) and how long a failed connect marks a source down (default 1.5 s). */
  pools?: Partial<PoolOptions>;
}

/** Connection failures that a second try cannot fix: wrong credentials, no such database. */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/** The URL's password, as written and decoded, for redaction (the whole URL is redacted by the scope). */
function passwordsOf(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

export class DataSources implements DataSourceAccessor, DataSourceSink {
  private definitions = new Map<string, DataSourceDefinition>([[SAMPLES_SOURCE_ID, samplesDefinition()]]);
  private readonly pools = new Map<string, SourcePool>();
  private readonly samples: SamplesSource;
  private readonly retry: RetryPolicy;
  private readonly poolOptions: PoolOptions;
  private readonly secret: SecretReader;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: DataSourcesOptions) {
    this.secret = options.secret;
    this.logger = options.logger;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.poolOptions = { ...DEFAULT_POOL_OPTIONS, ...options.pools };
    this.samples = new SamplesSource(options.logger);
  }

  /** Toolport's own database, where the built-in `samples` source runs. */
  bindOwnDatabase(database: Database): void {
    this.samples.bind(database);
  }

  /**
   * The whole list of definitions (the registry's catalog calls it at start and after every change). A source
   * whose definition changed or that disappeared has its pool closed. A list without `samples` keeps the built-in
   * definition: the quick start's source exists until a row says otherwise (e.g. enabled = false).
   */
  replace(definitions: readonly DataSourceDefinition[]): void {
    const next = new Map(definitions.map((definition) => [definition.id, definition]));
    if (!next.has(SAMPLES_SOURCE_ID)) next.set(SAMPLES_SOURCE_ID, samplesDefinition());
    for (const [id, pool] of this.pools) {
      const definition = next.get(id);
      if (!definition || !sameConnection(definition, pool.definition)) {
        this.pools.delete(id);
        void pool.close();
      }
    }
    this.definitions = next;
  }

  get(id: string): DataSourceDefinition | undefined {
    return this.definitions.get(id);
  }

  unavailableReason(id: string): string | undefined {
    const definition = this.definitions.get(id);
    if (!definition) return `no data source "${id}" is defined`;
    if (!definition.enabled) return `data source "${id}" is disabled`;
    if (this.closed) return 'the data sources are closed (shutting down)';
    if (definition.id === SAMPLES_SOURCE_ID && definition.url === null) return this.samples.unavailableReason();
    if (definition.url === null) return `data source "${id}" has no URL`;
    const names = secretNamesIn(definition.url);
    if (names.length === 0) return `data source "${id}": the URL must be a \${secret:NAME} reference`;
    for (const name of names) if (this.secret(name) === undefined) return unsetSecretReason(name);
    const down = this.pools.get(id)?.knownDown();
    return down === undefined ? undefined : `down: ${down}`;
  }

  async transaction<T>(id: string, options: TransactionOptions, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const definition = this.definitions.get(id);
    const refused = this.refusal(id, definition);
    if (refused !== undefined || !definition) throw new DataSourceUnavailableError(id, refused ?? `no data source "${id}" is defined`);
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (definition.url === null) return this.samples.transaction(definition, options, fn);
    return this.runPostgres(definition, options, fn);
  }

  /** Closes every pool (shutdown); later transactions are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  /** unavailableReason without the "known down" part (the call path retries a down source after its window itself). */
  private refusal(id: string, definition: DataSourceDefinition | undefined): string | undefined {
    if (!definition) return `no data source "${id}" is defined`;
    const reason = this.unavailableReason(id);
    return reason?.startsWith('down: ') ? undefined : reason;
  }

  private pool(definition: DataSourceDefinition): SourcePool {
    let pool = this.pools.get(definition.id);
    if (!pool) {
      pool = new SourcePool(definition, this.poolOptions);
      this.pools.set(definition.id, pool);
    }
    return pool;
  }

  private async runPostgres<T>(definition: DataSourceDefinition, options: TransactionOptions, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const scope = new SecretScope(this.secret);
    let url: string;
    try {
      url = scope.resolve(definition.url!);
    } catch (error) {
      if (error instanceof UnsetSecretError) throw new DataSourceUnavailableError(definition.id, error.message);
      throw error;
    }
    const passwords = passwordsOf(url);
    const clean = (text: string) => redact(scope.redact(text), passwords);
    const pool = this.pool(definition);
    const readOnly = options.readOnly || definition.access === 'read_only';
    const attempts = readOnly ? Math.max(1, this.retry.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      // Calls that arrive while the source is known down fail at once; a call's own retries wait out the backoff instead.
      const down = attempt === 1 ? pool.knownDown() : undefined;
      if (down !== undefined) throw new DataSourceUnavailableError(definition.id, down);
      const state = { connected: false };
      try {
        const result = await this.attempt(pool.client(url), pool, definition, { ...options, readOnly }, fn, state);
        pool.markUp();
        return result;
      } catch (error) {
        if (options.signal?.aborted) throw abortReason(options.signal);
        const classified = classify(error, definition.id, clean);
        if (!(classified instanceof DataSourceUnavailableError)) throw classified;
        const reason = classified.message.slice(`data source "${definition.id}" is unavailable: `.length);
        if (!state.connected) pool.markDown(reason);
        this.logger.warn('data source connection failed', { source: definition.id, attempt, reason });
        if (attempt >= attempts || isPermanent(error)) throw classified;
        await wait(backoffMs(attempt, this.retry), options.signal);
      }
    }
  }

  /**
   * One transaction through postgres.js's begin() (its reserve() can hang when a connect fails half-way, measured
   * with a relay that cuts and restores): the settings are pipelined with the first statement, so a one-statement
   * call costs BEGIN, [settings + statement], COMMIT.
   */
  private async attempt<T>(
    sql: postgres.Sql,
    pool: SourcePool,
    definition: DataSourceDefinition,
    options: TransactionOptions,
    fn: (session: SqlSession) => Promise<T>,
    state: { connected: boolean },
  ): Promise<T> {
    const settings = settingsStatement(options.statementTimeoutMs ?? definition.statementTimeoutMs, options.settings);
    let session: PgSession | undefined;
    const onAbort = () => session?.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await sql.begin(options.readOnly ? 'read only' : 'read write', async (tx) => {
        state.connected = true;
        const ready = tx.unsafe(settings.text, settings.params, { prepare: true }).execute();
        ready.catch(() => {});
        session = new PgSession({
          connection: tx,
          types: pool.types,
          ready,
          prepare: options.prepareStatements ?? false,
          close: sql.CLOSE,
          signal: options.signal,
        });
        const result = await fn(session);
        await ready;
        return result;
      })) as T;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Whether a new definition can keep the old pool (only description, row limit, timeouts or enabled changed). */
function sameConnection(a: DataSourceDefinition, b: DataSourceDefinition): boolean {
  return a.url === b.url && a.poolSize === b.poolSize && a.kind === b.kind;
}

export { SAMPLE_TABLES, SAMPLES_ROLE, samplesDefinition } from './samples.ts';
export * from './types.ts';

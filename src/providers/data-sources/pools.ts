import postgres from 'postgres';
import { TypeNames } from './type-names.ts';
import type { DataSourceDefinition } from './types.ts';

/**
 * One postgres.js pool per source, opened on first use with the URL the
 * secret holds at that moment; a later call that resolves a different URL
 * (the secret was rotated) closes it and opens a new one. A source whose
 * connect failed is remembered as down for a short while, so the calls that
 * follow fail at once instead of each waiting for the connect timeout; after
 * that the next call tries again.
 */

export interface PoolOptions {
  /** postgres.js connect_timeout, seconds. */
  connectTimeoutS: number;
  /** How long a failed connect marks the source down, ms. */
  downMs: number;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = { connectTimeoutS: 3, downMs: 1500 };

export class SourcePool {
  private sql: postgres.Sql | undefined;
  private url: string | undefined;
  private downUntil = 0;
  private downReason: string | undefined;
  /** Type names of this source's own types (their oids are per database). */
  types = new TypeNames();

  constructor(
    readonly definition: DataSourceDefinition,
    private readonly options: PoolOptions,
  ) {}

  /** The reason of a recent failed connect, while the source counts as down. */
  knownDown(now = Date.now()): string | undefined {
    return now < this.downUntil ? this.downReason : undefined;
  }

  markDown(reason: string, now = Date.now()): void {
    this.downUntil = now + this.options.downMs;
    this.downReason = reason;
  }

  markUp(): void {
    this.downUntil = 0;
    this.downReason = undefined;
  }

  /** The pool for this URL, opened now if there is none or the URL changed. */
  client(url: string): postgres.Sql {
    if (this.sql && this.url === url) return this.sql;
    if (this.sql) void this.end(this.sql);
    this.url = url;
    this.types = new TypeNames();
    this.sql = postgres(url, {
      max: this.definition.poolSize,
      connect_timeout: this.options.connectTimeoutS,
      idle_timeout: 60,
      max_lifetime: 60 * 30,
      onnotice: () => {},
      connection: { application_name: 'toolport' },
      // No reconnect storm: a down source is remembered (knownDown) and retried by the next call.
      backoff: () => 0.05,
    });
    return this.sql;
  }

  async close(): Promise<void> {
    const sql = this.sql;
    this.sql = undefined;
    this.url = undefined;
    if (sql) await this.end(sql);
  }

  private async end(sql: postgres.Sql): Promise<void> {
    // Running transactions get a moment to finish; a pool that cannot end cleanly must not fail shutdown.
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fromProjectRoot } from '../shared/project-root.ts';
import type { Database } from './client.ts';

export const MIGRATIONS_FOLDER = fromProjectRoot('migrations');

/** Any constant works; it only has to be the same for every Toolport process. */
const MIGRATION_LOCK_KEY = 7_471_530_201;

/**
 * Apply migrations/ (idempotent). On Postgres, drizzle's migrator takes no
 * lock, so several processes starting together would race: run it on one
 * dedicated connection that holds a session advisory lock for the duration.
 */
export async function migrate(database: Database, databaseUrl?: string): Promise<void> {
  if (database.kind === 'pglite') {
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  if (!databaseUrl) throw new Error('migrate: a Postgres database needs its URL');
  const connection = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres({ client: connection }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await connection`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await connection.end({ timeout: 5 });
  }
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * Every test runs against PGlite, and also against the real PostgreSQL server
 * when TEST_DATABASE_URL is set (CI sets it). Each opened Postgres database is
 * a fresh, uniquely named database created from that URL and dropped after,
 * so test files never see each other's rows.
 */
export type Backend = 'pglite' | 'postgres';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export const backends: Backend[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  backend: Backend;
  database: Database;
  /** Set for Postgres: the URL of this test's own database. */
  url: string | undefined;
  /** Close the connection and drop the database. */
  dispose(): Promise<void>;
}

/** Create an empty Postgres database for one test file; returns its URL and a drop function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `toolport_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      await again.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

/** A migrated, empty database of the given backend. */
export async function openTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' });
    await migrate(database);
    return { backend, database, url: undefined, dispose: () => database.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const database = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 5 });
  await migrate(database, url);
  return {
    backend,
    database,
    url,
    async dispose() {
      await database.close();
      await drop();
    },
  };
}

/**
 * The database a CLI test's commands run against, as environment variables:
 * a fresh Postgres database when TEST_DATABASE_URL is set (the last of
 * `backends`), else an embedded data dir in a temporary directory (every CLI
 * run opens PGlite anew, so one backend is enough for a command's test).
 */
export async function cliDatabase(): Promise<{ backend: Backend; env: Record<string, string>; cleanup: () => Promise<void> }> {
  const backend = backends.at(-1)!;
  if (backend === 'postgres') {
    const { url, drop } = await createPostgresDatabase();
    return { backend, env: { DATABASE_URL: url, TOOLPORT_LOG_LEVEL: 'silent' }, cleanup: drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'toolport-cli-'));
  return {
    backend,
    env: { TOOLPORT_DATA_DIR: join(dir, 'data'), TOOLPORT_LOG_LEVEL: 'silent' },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { resolve } from 'node:path';
import { type Database, openDatabase } from '../../db/client.ts';
import { type LockInfo, readLock } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import { readSqlPassword } from '../../db/sql-password.ts';
import type { Config } from '../../shared/config.ts';

/**
 * The database a registry command (export, apply) works on: DATABASE_URL
 * when set; in embedded mode the running Toolport's database through its SQL
 * port when that Toolport holds the data dir (its change feed then serves
 * the change at once), or the data dir opened directly when none runs.
 */
export interface CommandDatabase {
  database: Database;
  /** Which database, for the note on stderr. */
  via: string;
  close(): Promise<void>;
}

/** The running Toolport's SQL port as a postgres:// URL, with its password (from its file, or TOOLPORT_SQL_PASSWORD). */
export function sqlPortUrl(
  config: Pick<Config, 'sqlPassword'>,
  dataDir: string,
  holder: LockInfo,
): { url: string; host: string; port: number; passwordFrom: string } {
  if (!holder.sqlPort) {
    throw new Error(
      `The embedded database at ${dataDir} is locked by a running Toolport (pid ${holder.pid}) that serves no SQL port. ` +
        'Stop it, or restart it with a free TOOLPORT_SQL_PORT.',
    );
  }
  const host = holder.sqlHost ?? '127.0.0.1';
  const passwordFile = holder.sqlPasswordFile;
  const password = passwordFile ? readSqlPassword(passwordFile) : config.sqlPassword;
  if (!password) {
    throw new Error(
      passwordFile
        ? `The SQL port password file ${passwordFile} is missing or empty: restart the Toolport (pid ${holder.pid}) to make a new one.`
        : `The Toolport (pid ${holder.pid}) on ${dataDir} takes its SQL port password from TOOLPORT_SQL_PASSWORD: set it here too.`,
    );
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${holder.sqlPort}/postgres`;
  return { url, host, port: holder.sqlPort, passwordFrom: passwordFile ? `in ${passwordFile}` : 'in TOOLPORT_SQL_PASSWORD' };
}

export async function openCommandDatabase(config: Config): Promise<CommandDatabase> {
  if (config.databaseUrl) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    try {
      await migrate(database, config.databaseUrl);
    } catch (error) {
      await database.close();
      throw error;
    }
    return { database, via: database.describe, close: () => database.close() };
  }
  const dataDir = config.dataDir.startsWith('memory://') ? config.dataDir : resolve(config.dataDir);
  const holder = readLock(dataDir);
  if (holder) {
    const port = sqlPortUrl(config, dataDir, holder);
    // The running Toolport migrated it; one connection, as the SQL port serves them.
    const database = await openDatabase({ databaseUrl: port.url, dataDir, poolSize: 1 });
    const via = `the running Toolport's embedded database at ${dataDir} (pid ${holder.pid}), through its SQL port ${port.host}:${port.port}`;
    return { database, via, close: () => database.close() };
  }
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    await migrate(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, via: `${database.describe} (opened directly: no Toolport runs on it)`, close: () => database.close() };
}

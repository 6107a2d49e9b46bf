import { resolve } from 'node:path';
import { type Database, openDatabase } from '../../db/client.ts';
import { type LockInfo, readLock } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import type { Config } from '../../shared/config.ts';

/**
 * Where a registry command (export, apply) does its work: with DATABASE_URL
 * on that database; on the embedded database, through the running Toolport
 * that holds the data dir (its REST API: its own transactions, live at
 * once), or — when none runs — on the data dir opened directly.
 */
export type CommandTarget = { kind: 'running'; url: string; holder: LockInfo; dataDir: string } | { kind: 'database' };

export function commandTarget(config: Config): CommandTarget {
  if (config.databaseUrl) return { kind: 'database' };
  const dataDir = config.dataDir.startsWith('memory://') ? config.dataDir : resolve(config.dataDir);
  const holder = readLock(dataDir);
  if (!holder) return { kind: 'database' };
  if (!holder.apiUrl) {
    throw new Error(
      `The embedded database at ${dataDir} is locked by a running Toolport (pid ${holder.pid}) that serves no REST listener: ` +
        'stop it, or run both against one Postgres server (DATABASE_URL).',
    );
  }
  return { kind: 'running', url: holder.apiUrl, holder, dataDir };
}

export interface CommandDatabase {
  database: Database;
  /** Which database, for the note on stderr. */
  via: string;
  close(): Promise<void>;
}

/** The configured database, migrated (DATABASE_URL, or the embedded data dir no Toolport holds). */
export async function openCommandDatabase(config: Config): Promise<CommandDatabase> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrate(database, config.databaseUrl);
  } catch (error) {
    await database.close();
    throw error;
  }
  const via = config.databaseUrl ? database.describe : `${database.describe} (opened directly: no Toolport runs on it)`;
  return { database, via, close: () => database.close() };
}

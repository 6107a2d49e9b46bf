import postgres from 'postgres';
import { openDatabase, type QueryResult } from '../../db/client.ts';
import { readLock } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import type { Config } from '../../shared/config.ts';

/**
 * `npm run sql -- "<query>"`: against DATABASE_URL when set; in embedded mode
 * through the running server's SQL port when the data dir is locked by it,
 * or by opening the data dir directly when no server runs.
 */
export async function runSql(config: Config, text: string): Promise<QueryResult & { via: string }> {
  if (config.databaseUrl) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
    try {
      return { ...(await database.query(text)), via: database.describe };
    } finally {
      await database.close();
    }
  }
  const holder = readLock(config.dataDir);
  if (holder) {
    if (!holder.sqlPort) {
      throw new Error(
        `The embedded database at ${config.dataDir} is locked by a running Toolport (pid ${holder.pid}) that serves no SQL port. ` +
          'Stop it, or restart it with a free TOOLPORT_SQL_PORT.',
      );
    }
    const client = postgres({ host: holder.sqlHost ?? '127.0.0.1', port: holder.sqlPort, user: 'postgres', database: 'postgres', max: 1, onnotice: () => {} });
    try {
      const result = await client.unsafe(text);
      return {
        rows: [...result] as Record<string, unknown>[],
        fields: (result.columns ?? []).map((column) => column.name),
        via: `the running server's SQL port 127.0.0.1:${holder.sqlPort}`,
      };
    } finally {
      await client.end({ timeout: 2 });
    }
  }
  const database = await openDatabase({ databaseUrl: undefined, dataDir: config.dataDir });
  try {
    await migrate(database);
    return { ...(await database.query(text)), via: database.describe };
  } finally {
    await database.close();
  }
}

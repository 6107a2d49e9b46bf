import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import postgres from 'postgres';
import { openDatabase, type QueryResult } from '../../db/client.ts';
import { type LockInfo, listRunning, RUNNING_DIR, readLock } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import { hasDatabase } from '../../db/pglite-template.ts';
import { readSqlPassword } from '../../db/sql-password.ts';
import { type Config, DEFAULT_DATA_DIR } from '../../shared/config.ts';

export interface SqlOptions {
  /** Where running embedded servers are listed (default: `.toolport/running/` in the checkout). */
  runningDir?: string;
  /**
   * Whether the user chose config.dataDir (TOOLPORT_DATA_DIR). Default: it
   * differs from the default data dir. When not chosen, a Toolport running
   * on another data dir is used rather than an idle default one.
   */
  explicitDataDir?: boolean;
  /** Where to say which database was used (default: stderr; stdout carries the table). */
  note?: (line: string) => void;
}

/**
 * `npm run sql -- "<query>"`: against DATABASE_URL when set; in embedded mode
 * through the running server's SQL port when the data dir is locked by it
 * (or, with no TOOLPORT_DATA_DIR, the one Toolport running on another data
 * dir), or by opening an existing data dir directly when no server runs. It
 * never creates a data dir, and it always says which database it used.
 */
export async function runSql(config: Config, text: string, options: SqlOptions = {}): Promise<QueryResult & { via: string }> {
  const note = options.note ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (config.databaseUrl) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
    try {
      note(`npm run sql: ${database.describe}`);
      return { ...(await database.query(text)), via: database.describe };
    } finally {
      await database.close();
    }
  }

  const dataDir = config.dataDir.startsWith('memory://') ? config.dataDir : resolve(config.dataDir);
  const explicit = options.explicitDataDir ?? dataDir !== resolve(DEFAULT_DATA_DIR);
  const holder = readLock(dataDir);
  if (holder) return viaSqlPort(config, dataDir, holder, text, note, '');

  if (!explicit) {
    const others = listRunning(options.runningDir ?? RUNNING_DIR).filter((server) => server.dataDir !== dataDir);
    if (others.length === 1) {
      const [other] = others;
      const why = `no Toolport runs on the default data dir ${dataDir}; set TOOLPORT_DATA_DIR to choose another`;
      return viaSqlPort(config, other!.dataDir, other!.holder, text, note, ` (${why})`);
    }
    if (others.length > 1) {
      const list = others.map(({ dataDir: dir, holder: h }) => `  pid ${h.pid}: TOOLPORT_DATA_DIR=${dir}${h.sqlPort ? ` (SQL port ${h.sqlPort})` : ''}`);
      throw new Error(
        `No Toolport runs on the default data dir ${dataDir}, and ${others.length} run on other data dirs:\n${list.join('\n')}\n` +
          'Set TOOLPORT_DATA_DIR to the one to query.',
      );
    }
  }

  if (!dataDir.startsWith('memory://') && !hasDatabase(dataDir)) {
    throw new Error(
      `No embedded database at ${dataDir}${existsSync(dataDir) ? ' (the directory holds no database)' : ''}, and \`npm run sql\` does not create one. ` +
        'Start Toolport once (`npm start`) to create it, set TOOLPORT_DATA_DIR to the data dir of your server, or set DATABASE_URL.',
    );
  }
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    await migrate(database);
    note(`npm run sql: ${database.describe} (opened directly: no Toolport runs on it)`);
    return { ...(await database.query(text)), via: database.describe };
  } finally {
    await database.close();
  }
}

/** Query a running server's embedded database through its SQL port, with its password. */
async function viaSqlPort(
  config: Config,
  dataDir: string,
  holder: LockInfo,
  text: string,
  note: (line: string) => void,
  why: string,
): Promise<QueryResult & { via: string }> {
  if (!holder.sqlPort) {
    throw new Error(
      `The embedded database at ${dataDir} is locked by a running Toolport (pid ${holder.pid}) that serves no SQL port. ` +
        'Stop it, or restart it with a free TOOLPORT_SQL_PORT.',
    );
  }
  const host = holder.sqlHost ?? '127.0.0.1';
  const passwordFile = holder.sqlPasswordFile;
  // The server says where its password is: its file, or (no file) TOOLPORT_SQL_PASSWORD, which must be set here too.
  const password = passwordFile ? readSqlPassword(passwordFile) : config.sqlPassword;
  if (!password) {
    throw new Error(
      passwordFile
        ? `The SQL port password file ${passwordFile} is missing or empty: restart the Toolport (pid ${holder.pid}) to make a new one.`
        : `The Toolport (pid ${holder.pid}) on ${dataDir} takes its SQL port password from TOOLPORT_SQL_PASSWORD: set it here too.`,
    );
  }
  const via = `the running Toolport's embedded database at ${dataDir} (pid ${holder.pid}), through its SQL port ${host}:${holder.sqlPort}`;
  note(`npm run sql: ${via}${why}`);
  const client = postgres({ host, port: holder.sqlPort, user: 'postgres', database: 'postgres', password, max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const result = await client.unsafe(text);
    return { rows: [...result] as Record<string, unknown>[], fields: (result.columns ?? []).map((column) => column.name), via };
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') {
      throw new Error(
        `The SQL port ${host}:${holder.sqlPort} refused the password ${passwordFile ? `in ${passwordFile}` : 'in TOOLPORT_SQL_PASSWORD'}: ` +
          `it is not the one the Toolport (pid ${holder.pid}) started with.`,
      );
    }
    throw error;
  } finally {
    await client.end({ timeout: 2 });
  }
}

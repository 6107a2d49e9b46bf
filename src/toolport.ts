import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { AppDeps } from './deps.ts';
import { handlers as builtInHandlers } from './handlers/index.ts';
import type { Handler } from './handlers/define.ts';
import type { Listener } from './listeners.ts';
import { createLogger, type Logger } from './logger.ts';
import { createRuntime, prepareDatabase } from './runtime.ts';
import { checkSelection, ServerManager } from './server-manager.ts';
import { startSqlPort } from './sql-port.ts';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface Toolport {
  deps: AppDeps;
  /** Live view: listeners come and go as servers rows change. */
  listeners: Map<string, Listener>;
  servers: ServerManager;
  sqlPort: number | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** An already opened and migrated database (tests reuse one per file); closed by stop() only if opened here. */
  database?: Database;
  handlers?: ReadonlyMap<string, Handler>;
  /** Skip the embedded SQL port (tests). */
  sqlPort?: boolean;
  fetch?: typeof fetch;
}

/**
 * Start: open the database → migrate → seed if empty → load each server →
 * one listener per server → follow the change feed (SQL edits, other
 * processes, new servers rows) for as long as it runs.
 */
export async function startToolport(config: Config, options: StartOptions = {}): Promise<Toolport> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const handlers = options.handlers ?? builtInHandlers;
  const database = await prepareDatabase(config, handlers, logger, options.database);
  const ownsDatabase = !options.database;
  let manager: ServerManager | undefined;
  let sql: { port: number; stop(): Promise<void> } | undefined;
  let stopFeed = async () => {};
  try {
    const runtime = await createRuntime(config, database, handlers, logger, (ids) => manager!.reconcile(ids), options.fetch ?? fetch);
    stopFeed = () => runtime.feed.stop();
    const deps: AppDeps = {
      config,
      ...runtime,
      handlers,
      logger,
      callTimeoutMs: config.callTimeoutMs,
      startedAt: Date.now(),
      version: VERSION,
      listenerFailures: new Map(),
    };
    manager = new ServerManager(deps);
    const rows = await runtime.store.listServers();
    checkSelection(config, rows);
    for (const wanted of config.servers ?? []) {
      if (rows.find((row) => row.id === wanted.id)?.enabled === false) {
        logger.warn('selected server is disabled: it starts when its row is enabled', { server: wanted.id });
      }
    }
    await manager.reconcile('all', true);
    await runtime.feed.start();

    if (!config.adminToken) {
      logger.warn('TOOLPORT_ADMIN_TOKEN is unset: registry writes (POST/PUT/PATCH/DELETE /tools) are open to local callers on this machine');
    }
    if (database.pglite && options.sqlPort !== false) {
      sql = await startSqlPort(database.pglite, config.sqlPort, logger);
      if (sql) {
        database.lock?.update({ sqlHost: '127.0.0.1', sqlPort: sql.port });
        logger.info('SQL port (embedded database)', { psql: `psql -h 127.0.0.1 -p ${sql.port} -U postgres` });
      }
    }

    let stopping: Promise<void> | undefined;
    const servers = manager;
    return {
      deps,
      listeners: servers.listeners,
      servers,
      sqlPort: sql?.port,
      stop() {
        stopping ??= (async () => {
          await stopFeed();
          await servers.stopAll(config.shutdownTimeoutMs);
          await sql?.stop();
          if (ownsDatabase) await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopFeed().catch(() => {});
    await manager?.stopAll(0).catch(() => {});
    await sql?.stop().catch(() => {});
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }
}

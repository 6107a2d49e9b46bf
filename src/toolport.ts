import { readFileSync } from 'node:fs';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { seedIfEmpty } from './db/seed.ts';
import type { AppDeps } from './deps.ts';
import { handlers as builtInHandlers } from './handlers/index.ts';
import type { Handler } from './handlers/define.ts';
import { startListener, type Listener } from './listeners.ts';
import { createLogger, type Logger } from './logger.ts';
import { closeMcpEndpoints } from './mcp/route.ts';
import { createProviders } from './providers/index.ts';
import { Registry } from './registry/registry.ts';
import { RegistryStore } from './registry/store.ts';
import { startSqlPort } from './sql-port.ts';
import type { ServerRow } from '../drizzle/schema.ts';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface Toolport {
  deps: AppDeps;
  listeners: Map<string, Listener>;
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

/** Which servers this process serves, on which ports. */
export function selectServers(config: Config, rows: ServerRow[]): { row: ServerRow; port: number }[] {
  if (!config.servers) {
    return rows.filter((row) => row.enabled && row.port !== null).map((row) => ({ row, port: row.port! }));
  }
  return config.servers.map((wanted) => {
    const row = rows.find((candidate) => candidate.id === wanted.id);
    if (!row) {
      throw new Error(`TOOLPORT_SERVERS names "${wanted.id}", which is not in the servers table. Known: ${rows.map((r) => r.id).join(', ') || '(none)'}`);
    }
    const port = wanted.port ?? row.port;
    if (port === null || port === undefined) throw new Error(`Server "${row.id}" has no port: give one as ${row.id}:<port>`);
    return { row, port };
  });
}

/** Start: open the database → migrate → seed if empty → load each server → one listener per server. */
export async function startToolport(config: Config, options: StartOptions = {}): Promise<Toolport> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const ownsDatabase = !options.database;
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const listeners = new Map<string, Listener>();
  let sql: { port: number; stop(): Promise<void> } | undefined;
  try {
    logger.info('database', { using: database.describe });
    if (ownsDatabase) await migrate(database, config.databaseUrl);
    const handlers = options.handlers ?? builtInHandlers;
    const seeded = await seedIfEmpty(database, handlers);
    if (seeded) logger.info('seeded the empty registry', { ...seeded });

    const store = new RegistryStore(database.db);
    const registry = new Registry(store, handlers, logger);
    const providers = createProviders(config.providers, database.db, options.fetch ?? fetch);
    const deps: AppDeps = {
      config,
      database,
      store,
      registry,
      handlers,
      providers,
      logger,
      callTimeoutMs: config.callTimeoutMs,
      startedAt: Date.now(),
      version: VERSION,
    };

    const selected = selectServers(config, await store.listServers());
    for (const { row, port } of selected) {
      await registry.loadServer(row.id);
      const listener = await startListener(deps, row.id, config.host, port);
      listeners.set(row.id, listener);
      const snapshot = registry.snapshot(row.id)!;
      logger.info('listening', { server: row.id, url: listener.url, tools: snapshot.tools.size, available: snapshot.available.length });
    }
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
    return {
      deps,
      listeners,
      sqlPort: sql?.port,
      stop() {
        stopping ??= (async () => {
          // MCP listen streams and sessions stay open until closed: end them first, or draining waits for the timeout.
          await closeMcpEndpoints(deps);
          await Promise.all([...listeners.values()].map((listener) => listener.close(config.shutdownTimeoutMs)));
          await sql?.stop();
          if (ownsDatabase) await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await Promise.all([...listeners.values()].map((listener) => listener.close(0)));
    await sql?.stop().catch(() => {});
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }
}
